import type { CapturedFunction } from "./functionsCore";

export interface CompiledRoute {
  readonly fn: CapturedFunction;
  readonly methods: ReadonlyArray<string>;
  readonly authLevel: string;
  readonly pattern: RegExp;
  readonly params: ReadonlyArray<string>;
  /** Literal segments count: more literal segments win, as in ASP.NET routing. */
  readonly specificity: number;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Compiles an Azure Functions route template ("items/{id}", "files/{*path}", "items/{id:int?}") under the
 * route prefix into a matcher. Constraints are accepted and ignored except for being part of the name syntax.
 */
export const compileRoute = (fn: CapturedFunction, routePrefix: string): CompiledRoute => {
  const template = typeof fn.trigger.route === "string" ? fn.trigger.route : fn.name;
  const segments = [routePrefix, ...template.split("/")].filter((s) => s !== "");
  const params: string[] = [];
  let specificity = 0;
  const body = segments
    .map((segment) => {
      const param = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]*)?(\?)?\}$/.exec(segment);
      if (param === null) {
        specificity++;
        return `/${escape(segment)}`;
      }
      const [, catchAll, name, optional] = param;
      params.push(name ?? "");
      if (catchAll !== undefined) return `(?:/(.*))?`;
      return optional === undefined ? `/([^/]+)` : `(?:/([^/]+))?`;
    })
    .join("");
  const methods = Array.isArray(fn.trigger.methods)
    ? (fn.trigger.methods as string[]).map((m) => m.toUpperCase())
    : ["GET", "POST"];
  return {
    fn,
    methods,
    authLevel: typeof fn.trigger.authLevel === "string" ? fn.trigger.authLevel : "anonymous",
    pattern: new RegExp(`^${body}/?$`, "i"),
    params,
    specificity,
  };
};

export type RouteMatch =
  | { readonly kind: "match"; readonly route: CompiledRoute; readonly params: Record<string, string> }
  | { readonly kind: "method-not-allowed"; readonly allow: ReadonlyArray<string> }
  | { readonly kind: "none" };

export const matchRoute = (
  routes: ReadonlyArray<CompiledRoute>,
  method: string,
  path: string,
): RouteMatch => {
  const candidates = routes
    .map((route) => ({ route, match: route.pattern.exec(path) }))
    .filter((c): c is { route: CompiledRoute; match: RegExpExecArray } => c.match !== null)
    .sort((a, b) => b.route.specificity - a.route.specificity);
  const found = candidates.find((c) => c.route.methods.includes(method.toUpperCase()));
  if (found === undefined) {
    return candidates.length === 0
      ? { kind: "none" }
      : { kind: "method-not-allowed", allow: [...new Set(candidates.flatMap((c) => c.route.methods))] };
  }
  const params: Record<string, string> = {};
  found.route.params.forEach((name, i) => {
    const value = found.match[i + 1];
    if (value !== undefined) params[name] = decodeURIComponent(value);
  });
  return { kind: "match", route: found.route, params };
};
