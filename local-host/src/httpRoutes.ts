import type { CapturedFunction } from "./functionsCore";
import { parseRouteTemplate, type RouteTemplate, type TemplateSegment } from "./httpRouteTemplate";

export type AuthLevel = "anonymous" | "function" | "admin";

export interface CompiledRoute {
  readonly fn: CapturedFunction;
  /** Upper-case methods; "any" when the trigger names none (the Functions host then accepts every method). */
  readonly methods: ReadonlyArray<string> | "any";
  readonly authLevel: AuthLevel;
  readonly template: RouteTemplate;
}

const AUTH_LEVELS: ReadonlyArray<AuthLevel> = ["anonymous", "function", "admin"];

const authLevelOf = (fn: CapturedFunction): AuthLevel => {
  const level = fn.trigger.authLevel;
  if (level === undefined || level === null) return "anonymous";
  const found = AUTH_LEVELS.find((l) => typeof level === "string" && l === level.toLowerCase());
  if (found === undefined)
    throw new Error(
      `Function "${fn.name}": authLevel ${JSON.stringify(level)} is not supported (use ${AUTH_LEVELS.join(", ")})`,
    );
  return found;
};

const methodsOf = (fn: CapturedFunction): ReadonlyArray<string> | "any" => {
  const { methods } = fn.trigger;
  if (methods === undefined || methods === null) return "any";
  if (!Array.isArray(methods) || methods.some((m) => typeof m !== "string"))
    throw new Error(`Function "${fn.name}": methods must be a list of HTTP method names`);
  return methods.length === 0 ? "any" : [...new Set((methods as string[]).map((m) => m.toUpperCase()))];
};

/**
 * Compiles an HTTP trigger's route under the route prefix. The route defaults to the function name; its
 * template, constraints and authLevel are checked here, so a bad one stops the host at start with the
 * function's name in the message.
 */
export const compileRoute = (fn: CapturedFunction, routePrefix: string): CompiledRoute => {
  const route = typeof fn.trigger.route === "string" && fn.trigger.route !== "" ? fn.trigger.route : fn.name;
  const prefix = routePrefix.replace(/^\/+|\/+$/g, "");
  const text = prefix === "" ? route : `${prefix}/${route.replace(/^~?\/+/, "")}`;
  let template: RouteTemplate;
  try {
    template = parseRouteTemplate(text);
  } catch (error) {
    throw new Error(
      `Function "${fn.name}": route "${route}": ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return { fn, methods: methodsOf(fn), authLevel: authLevelOf(fn), template };
};

/** Lexicographic on the precedence digits, shorter first on a tie (ComputeInbound's decimal sum). */
const byPrecedence = (a: CompiledRoute, b: CompiledRoute): number => {
  const length = Math.max(a.template.precedence.length, b.template.precedence.length);
  for (let i = 0; i < length; i++) {
    const diff = (a.template.precedence[i] ?? 0) - (b.template.precedence[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
};

/** Compiles every HTTP trigger and orders them as the host does: most specific template first. */
export const compileRoutes = (
  fns: ReadonlyArray<CapturedFunction>,
  routePrefix: string,
): ReadonlyArray<CompiledRoute> => fns.map((fn) => compileRoute(fn, routePrefix)).sort(byPrecedence);

export type RouteMatch =
  | { readonly kind: "match"; readonly route: CompiledRoute; readonly params: Record<string, string> }
  | { readonly kind: "method-not-allowed"; readonly allow: ReadonlyArray<string> }
  | { readonly kind: "none" };

/** Decodes a path segment as Kestrel does: everything but %2F, which stays as is inside the segment. */
const decodeSegment = (raw: string): string => {
  try {
    return decodeURIComponent(raw.replace(/%2F/gi, "%252F"));
  } catch {
    return raw;
  }
};

/** A request path as segments (a trailing slash is ignored). */
export const pathSegments = (pathname: string): string[] => {
  const trimmed = pathname.replace(/^\/+/, "").replace(/\/$/, "");
  return trimmed === "" ? [] : trimmed.split("/").map(decodeSegment);
};

const segmentValues = (segment: TemplateSegment, value: string, values: Record<string, string>): boolean => {
  const [first] = segment.parts;
  if (segment.complex !== undefined) {
    const match = segment.complex.exec(value);
    if (match === null) return false;
    let group = 1;
    for (const part of segment.parts)
      if (part.kind === "parameter") values[part.parameter.name] = match[group++] ?? "";
    return true;
  }
  if (first?.kind === "literal") return first.text.toUpperCase() === value.toUpperCase();
  if (first?.kind === "parameter") values[first.parameter.name] = value;
  return true;
};

/** Every constraint holds for its parameter's value; an optional parameter with no value has none to check. */
const passesConstraints = (template: RouteTemplate, values: Readonly<Record<string, string>>): boolean =>
  template.parameters.every((p) => {
    const value = values[p.name];
    return value === undefined || p.constraints.every((c) => c.check(value));
  });

/** The template's route values for these path segments (defaults included), or undefined if it does not match. */
export const matchTemplate = (
  template: RouteTemplate,
  segments: ReadonlyArray<string>,
): Record<string, string> | undefined => {
  const values: Record<string, string> = {};
  for (const [i, segment] of template.segments.entries()) {
    const [first] = segment.parts;
    const parameter = first?.kind === "parameter" && segment.parts.length === 1 ? first.parameter : undefined;
    if (parameter?.catchAll === true) {
      const rest = segments.slice(i).join("/");
      if (rest !== "") values[parameter.name] = rest;
      else if (parameter.defaultValue !== undefined) values[parameter.name] = parameter.defaultValue;
      return passesConstraints(template, values) ? values : undefined;
    }
    const value = segments[i];
    if (value === undefined) {
      if (parameter === undefined || !(parameter.optional || parameter.defaultValue !== undefined))
        return undefined;
      if (parameter.defaultValue !== undefined) values[parameter.name] = parameter.defaultValue;
      continue;
    }
    if (value === "" || !segmentValues(segment, value, values)) return undefined;
  }
  if (segments.length > template.segments.length) return undefined;
  return passesConstraints(template, values) ? values : undefined;
};

const allows = (route: CompiledRoute, method: string): boolean =>
  route.methods === "any" || route.methods.includes(method);

/**
 * The first route, in precedence order, whose template and constraints match the path and which accepts the
 * method. A path that matches only with other methods is method-not-allowed, with the methods it accepts.
 */
export const matchRoute = (
  routes: ReadonlyArray<CompiledRoute>,
  method: string,
  pathname: string,
): RouteMatch => {
  const segments = pathSegments(pathname);
  const upper = method.toUpperCase();
  const allow = new Set<string>();
  for (const route of routes) {
    const params = matchTemplate(route.template, segments);
    if (params === undefined) continue;
    if (allows(route, upper)) return { kind: "match", route, params };
    if (route.methods !== "any") route.methods.forEach((m) => allow.add(m));
  }
  return allow.size === 0 ? { kind: "none" } : { kind: "method-not-allowed", allow: [...allow] };
};
