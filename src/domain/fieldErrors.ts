import * as t from "io-ts";

/** One problem with an input, located by a JSON-Pointer-like path ("/url", "/subscriptions/1"). */
export const FieldError = t.type({ path: t.string, message: t.string }, "FieldError");
export type FieldError = t.TypeOf<typeof FieldError>;

/** Turns io-ts errors into paths and expected types; values are never included (they may be personal data). */
export const fieldErrorsOf = (errors: t.Errors): ReadonlyArray<FieldError> => {
  const seen = new Set<string>();
  const result: FieldError[] = [];
  for (const error of errors) {
    const keys = error.context
      .slice(1)
      .filter((entry, i, all) => !isStructuralKey(entry, all[i - 1] ?? error.context[0]))
      .map((entry) => entry.key);
    const path = "/" + keys.filter((k) => k !== "").join("/");
    const expected = error.context[error.context.length - 1]?.type.name ?? "a valid value";
    const message =
      error.message ?? (error.value === undefined ? `is required (${expected})` : `must be ${expected}`);
    const id = `${path}\u0000${message}`;
    if (!seen.has(id)) {
      seen.add(id);
      result.push({ path: path === "/" ? "/" : path, message });
    }
  }
  return result;
};

/** Union and intersection members show up as numeric keys under their combinator: not part of the path. */
const isStructuralKey = (entry: t.ContextEntry, parent: t.ContextEntry | undefined): boolean => {
  const tag = (parent?.type as { _tag?: string } | undefined)?._tag;
  return (tag === "UnionType" || tag === "IntersectionType") && /^\d+$/.test(entry.key);
};
