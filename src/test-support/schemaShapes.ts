import * as t from "io-ts";

import { type JsonSchema, resolveSchema, type SchemaDocument } from "./jsonSchema";

/**
 * What a codec and a JSON schema are compared on: property names, which are required, primitive types and enums.
 * JSON has no integers, so an "integer" schema and a number codec agree; formats and bounds are not compared.
 */
export type Shape =
  | "string"
  | "number"
  | "boolean"
  | { readonly enum: ReadonlyArray<string | number | boolean> }
  | { readonly array: Shape }
  | { readonly record: Shape }
  | { readonly required: ReadonlyArray<string>; readonly properties: Readonly<Record<string, Shape>> };

type ObjectShape = Extract<Shape, { readonly properties: unknown }>;

const objectShape = (props: Readonly<Record<string, t.Mixed>>, required: boolean): ObjectShape => ({
  required: required ? Object.keys(props).sort() : [],
  properties: Object.fromEntries(Object.entries(props).map(([key, codec]) => [key, shapeOfCodec(codec)])),
});

const mergeObjects = (what: string, shapes: ReadonlyArray<Shape>): ObjectShape => {
  const objects = shapes.map((shape) => {
    if (typeof shape === "string" || !("properties" in shape)) throw new Error(`${what}: not all objects`);
    return shape;
  });
  return {
    required: [...new Set(objects.flatMap((o) => o.required))].sort(),
    properties: Object.assign({}, ...objects.map((o) => o.properties)) as Record<string, Shape>,
  };
};

const mergeEnums = (what: string, shapes: ReadonlyArray<Shape>): Shape => ({
  enum: shapes
    .flatMap((shape) => {
      if (typeof shape === "string" || !("enum" in shape)) throw new Error(`${what}: not all literals`);
      return shape.enum;
    })
    .sort(),
});

/** The shape of an io-ts codec, walking its runtime types. A kind it does not know is an error. */
export const shapeOfCodec = (codec: t.Mixed): Shape => {
  if (codec instanceof t.StringType) return "string";
  if (codec instanceof t.NumberType) return "number";
  if (codec instanceof t.BooleanType) return "boolean";
  if (codec instanceof t.LiteralType) return { enum: [codec.value] };
  if (codec instanceof t.KeyofType) return { enum: Object.keys(codec.keys).sort() };
  if (codec instanceof t.UnionType) return mergeEnums(codec.name, codec.types.map(shapeOfCodec));
  if (codec instanceof t.ArrayType || codec instanceof t.ReadonlyArrayType)
    return { array: shapeOfCodec(codec.type) };
  if (codec instanceof t.DictionaryType) return { record: shapeOfCodec(codec.codomain) };
  if (codec instanceof t.RefinementType || codec instanceof t.ExactType || codec instanceof t.ReadonlyType)
    return shapeOfCodec(codec.type);
  if (codec instanceof t.InterfaceType) return objectShape(codec.props, true);
  if (codec instanceof t.PartialType) return objectShape(codec.props, false);
  if (codec instanceof t.IntersectionType) return mergeObjects(codec.name, codec.types.map(shapeOfCodec));
  throw new Error(`no shape for the codec ${codec.name}`);
};

/** The shape of a schema of the OpenAPI document ($ref and allOf resolved). A keyword it does not know is an error. */
export const shapeOfSchema = (doc: SchemaDocument, given: JsonSchema): Shape => {
  const schema = resolveSchema(doc, given);
  if (schema.enum !== undefined) return { enum: [...(schema.enum as string[])].sort() };
  if ("const" in schema) return { enum: [schema.const as string] };
  switch (schema.type) {
    case "string":
    case "boolean":
      return schema.type;
    case "integer":
    case "number":
      return "number";
    case "array":
      if (schema.items === undefined) throw new Error("an array schema without items");
      return { array: shapeOfSchema(doc, schema.items) };
    case "object": {
      if (schema.properties === undefined) {
        if (typeof schema.additionalProperties !== "object")
          throw new Error("an object schema with neither properties nor additionalProperties");
        return { record: shapeOfSchema(doc, schema.additionalProperties) };
      }
      const properties = schema.properties;
      return {
        required: [...(schema.required ?? [])].sort(),
        properties: Object.fromEntries(
          Object.entries(properties).map(([key, property]) => [key, shapeOfSchema(doc, property)]),
        ),
      };
    }
    case undefined:
    default:
      throw new Error(`no shape for a schema of type ${String(schema.type)}`);
  }
};
