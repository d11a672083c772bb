/**
 * The subset of JSON Schema the OpenAPI document uses, enough to compare it with the codecs and to check real
 * answers against it. Not a validator for any other document.
 */
export interface JsonSchema {
  readonly $ref?: string;
  readonly allOf?: ReadonlyArray<JsonSchema>;
  readonly type?: string;
  readonly enum?: ReadonlyArray<unknown>;
  readonly const?: unknown;
  readonly required?: ReadonlyArray<string>;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly pattern?: string;
  readonly format?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly uniqueItems?: boolean;
  readonly maxProperties?: number;
}

export interface SchemaDocument {
  readonly components: { readonly schemas: Readonly<Record<string, JsonSchema>> };
}

const REF_PREFIX = "#/components/schemas/";

/** The schema itself: a $ref followed, an allOf of objects merged into one object. */
export const resolveSchema = (doc: SchemaDocument, schema: JsonSchema): JsonSchema => {
  if (schema.$ref !== undefined) {
    const target = doc.components.schemas[schema.$ref.slice(REF_PREFIX.length)];
    if (!schema.$ref.startsWith(REF_PREFIX) || target === undefined)
      throw new Error(`unresolved $ref ${schema.$ref}`);
    return resolveSchema(doc, target);
  }
  if (schema.allOf === undefined) return schema;
  const parts = schema.allOf.map((part) => resolveSchema(doc, part));
  return {
    type: "object",
    required: parts.flatMap((part) => part.required ?? []),
    properties: Object.assign({}, ...parts.map((part) => part.properties ?? {})) as Record<
      string,
      JsonSchema
    >,
  };
};

const typeErrors = (schema: JsonSchema, value: unknown): string | undefined => {
  switch (schema.type) {
    case undefined:
      return undefined;
    case "integer":
      return Number.isInteger(value) ? undefined : "must be an integer";
    case "array":
      return Array.isArray(value) ? undefined : "must be an array";
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value)
        ? undefined
        : "must be an object";
    default:
      return typeof value === schema.type ? undefined : `must be a ${schema.type}`;
  }
};

const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

const stringErrors = (schema: JsonSchema, value: string): ReadonlyArray<string> => [
  ...(schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)
    ? [`must match ${schema.pattern}`]
    : []),
  ...(schema.format === "date-time" && !DATE_TIME.test(value) ? ["must be a date-time"] : []),
  ...(schema.minLength !== undefined && value.length < schema.minLength ? ["is too short"] : []),
  ...(schema.maxLength !== undefined && value.length > schema.maxLength ? ["is too long"] : []),
];

/**
 * Where `value` breaks `schema`, as "path: message" (never the value). Stricter than JSON Schema in one way: an
 * object schema with properties and no additionalProperties is closed, so an answer with a field the document
 * does not describe is an error.
 */
export const schemaErrors = (
  doc: SchemaDocument,
  given: JsonSchema,
  value: unknown,
  path = "",
): ReadonlyArray<string> => {
  const schema = resolveSchema(doc, given);
  const at = (message: string) => `${path || "/"}: ${message}`;
  if (schema.enum !== undefined && !schema.enum.includes(value)) return [at("is not one of the enum")];
  if ("const" in schema && schema.const !== value) return [at("is not the const")];
  const typeError = typeErrors(schema, value);
  if (typeError !== undefined) return [at(typeError)];
  if (typeof value === "string") return stringErrors(schema, value).map(at);
  if (typeof value === "number") {
    return [
      ...(schema.minimum !== undefined && value < schema.minimum ? [at("is below the minimum")] : []),
      ...(schema.maximum !== undefined && value > schema.maximum ? [at("is above the maximum")] : []),
    ];
  }
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    return [
      ...(schema.minItems !== undefined && items.length < schema.minItems ? [at("has too few items")] : []),
      ...(schema.uniqueItems === true && new Set(items.map((i) => JSON.stringify(i))).size < items.length
        ? [at("has duplicate items")]
        : []),
      ...(schema.items === undefined
        ? []
        : items.flatMap((item, i) => schemaErrors(doc, schema.items!, item, `${path}/${i}`))),
    ];
  }
  if (typeof value === "object" && value !== null) return objectErrors(doc, schema, value, path);
  return [];
};

const objectErrors = (
  doc: SchemaDocument,
  schema: JsonSchema,
  value: object,
  path: string,
): ReadonlyArray<string> => {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  const present = new Set(entries.map(([key]) => key));
  const properties = schema.properties ?? {};
  const closed = schema.additionalProperties ?? (schema.properties === undefined ? true : false);
  const errors = (schema.required ?? [])
    .filter((key) => !present.has(key))
    .map((key) => `${path}/${key}: is required`);
  if (schema.maxProperties !== undefined && entries.length > schema.maxProperties)
    errors.push(`${path || "/"}: has too many properties`);
  for (const [key, item] of entries) {
    const property = properties[key];
    if (property !== undefined) errors.push(...schemaErrors(doc, property, item, `${path}/${key}`));
    else if (closed === false) errors.push(`${path}/${key}: is not described by the schema`);
    else if (closed !== true) errors.push(...schemaErrors(doc, closed, item, `${path}/${key}`));
  }
  return errors;
};
