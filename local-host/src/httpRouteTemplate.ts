import { resolveConstraint, type RouteConstraint } from "./httpRouteConstraints";

/**
 * ASP.NET Core route templates, the syntax of an HTTP trigger's `route`: literal segments, `{name}`,
 * `{name?}`, `{name=default}`, `{*rest}` / `{**rest}`, inline constraints `{id:int:min(1)}`, complex segments
 * such as `{file}.{ext}`, and `{{` / `}}` for literal braces (also inside a constraint's arguments).
 */

export interface TemplateParameter {
  readonly name: string;
  readonly catchAll: boolean;
  readonly optional: boolean;
  readonly defaultValue?: string;
  readonly constraints: ReadonlyArray<{ readonly text: string; readonly check: RouteConstraint }>;
}

export type SegmentPart =
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "parameter"; readonly parameter: TemplateParameter };

export interface TemplateSegment {
  readonly parts: ReadonlyArray<SegmentPart>;
  /** For a segment of several parts: the whole segment as a regex, one group per parameter. */
  readonly complex?: RegExp;
}

export interface RouteTemplate {
  readonly segments: ReadonlyArray<TemplateSegment>;
  readonly parameters: ReadonlyArray<TemplateParameter>;
  /** RoutePrecedence.ComputeInbound's digits, one per segment: lower sorts first (is more specific). */
  readonly precedence: ReadonlyArray<number>;
}

const INVALID_NAME = /[/{}?*=:]/;

/** Splits `name:c1:c2(args)=default` (the `?` already removed) as InlineRouteParameterParser does. */
const splitParameter = (text: string): { name: string; constraints: string[]; defaultValue?: string } => {
  let i = 0;
  while (i < text.length && text[i] !== ":" && text[i] !== "=") i++;
  const name = text.slice(0, i);
  const constraints: string[] = [];
  while (text[i] === ":") {
    const start = ++i;
    while (i < text.length && text[i] !== ":" && text[i] !== "=") {
      if (text[i] === "(") {
        // The arguments end at the first ")" followed by the end, ":" or "=".
        let close = text.indexOf(")", i);
        while (close !== -1 && close + 1 < text.length && !":=".includes(text[close + 1]!))
          close = text.indexOf(")", close + 1);
        if (close === -1) throw new Error(`constraint "${text.slice(start)}" has no closing ")"`);
        i = close + 1;
        break;
      }
      i++;
    }
    constraints.push(text.slice(start, i));
  }
  return text[i] === "=" ? { name, constraints, defaultValue: text.slice(i + 1) } : { name, constraints };
};

const parseParameter = (raw: string): TemplateParameter => {
  const catchAll = raw.startsWith("*");
  let text = raw.replace(/^\*{1,2}/, "");
  const optional = text.endsWith("?");
  if (optional) text = text.slice(0, -1);
  const { name, constraints, defaultValue } = splitParameter(text);
  if (name === "" || INVALID_NAME.test(name)) throw new Error(`"{${raw}}" has no valid parameter name`);
  if (optional && defaultValue !== undefined)
    throw new Error(`optional parameter "${name}" cannot have a default value`);
  if (optional && catchAll) throw new Error(`catch-all parameter "${name}" cannot be marked optional`);
  const resolved = constraints.map((c) => {
    if (c === "") throw new Error(`parameter "${name}" has an empty constraint`);
    try {
      return { text: c, check: resolveConstraint(c) };
    } catch (error) {
      throw new Error(`parameter "${name}": ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  return {
    name,
    catchAll,
    optional,
    constraints: resolved,
    ...(defaultValue === undefined ? {} : { defaultValue }),
  };
};

/** One segment's parts; `{{` and `}}` are literal braces outside and inside parameters. */
const parseSegment = (segment: string): SegmentPart[] => {
  const parts: SegmentPart[] = [];
  let literal = "";
  let i = 0;
  const flush = (): void => {
    if (literal !== "") parts.push({ kind: "literal", text: literal });
    literal = "";
  };
  while (i < segment.length) {
    const c = segment[i]!;
    if ((c === "{" || c === "}") && segment[i + 1] === c) {
      literal += c;
      i += 2;
    } else if (c === "}") {
      throw new Error(`unmatched "}" in segment "${segment}"`);
    } else if (c === "{") {
      let text = "";
      i++;
      for (;;) {
        if (i >= segment.length) throw new Error(`unclosed "{" in segment "${segment}"`);
        const d = segment[i]!;
        if ((d === "{" || d === "}") && segment[i + 1] === d) {
          text += d;
          i += 2;
        } else if (d === "}") {
          i++;
          break;
        } else if (d === "{") {
          throw new Error(`"{" inside a parameter of segment "${segment}" (write "{{")`);
        } else {
          text += d;
          i++;
        }
      }
      flush();
      parts.push({ kind: "parameter", parameter: parseParameter(text) });
    } else {
      literal += c;
      i++;
    }
  }
  flush();
  return parts;
};

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const complexRegex = (segment: string, parts: ReadonlyArray<SegmentPart>): RegExp => {
  parts.forEach((part, i) => {
    if (part.kind !== "parameter") return;
    const { parameter } = part;
    if (parameter.catchAll) throw new Error(`catch-all "${parameter.name}" must be a segment of its own`);
    if (parameter.optional || parameter.defaultValue !== undefined)
      throw new Error(`"${segment}": optional and default parameters must be a segment of their own`);
    if (parts[i - 1]?.kind === "parameter")
      throw new Error(`"${segment}" has two consecutive parameters with no literal between them`);
  });
  const body = parts.map((p) => (p.kind === "literal" ? escapeRegex(p.text) : "(.+)")).join("");
  return new RegExp(`^${body}$`, "is");
};

const precedenceDigit = (segment: TemplateSegment): number => {
  const [part] = segment.parts;
  if (segment.parts.length > 1) return 2;
  if (part?.kind !== "parameter") return 1;
  const constrained = part.parameter.constraints.length > 0 ? 1 : 0;
  return (part.parameter.catchAll ? 5 : 3) - constrained;
};

/** Parses a route template (route prefix included); throws with the reason for a template ASP.NET refuses. */
export const parseRouteTemplate = (template: string): RouteTemplate => {
  const texts = template.replace(/^~?\/+/, "").split("/");
  if (texts.at(-1) === "") texts.pop();
  const segments = texts.map((text): TemplateSegment => {
    if (text === "") throw new Error(`"${template}" has an empty segment ("//")`);
    const parts = parseSegment(text);
    return parts.length > 1 ? { parts, complex: complexRegex(text, parts) } : { parts };
  });
  const parameters = segments.flatMap((s) =>
    s.parts.flatMap((p) => (p.kind === "parameter" ? [p.parameter] : [])),
  );
  const seen = new Set<string>();
  for (const p of parameters) {
    if (seen.has(p.name.toLowerCase())) throw new Error(`parameter "${p.name}" appears more than once`);
    seen.add(p.name.toLowerCase());
  }
  const catchAllAt = segments.findIndex((s) =>
    s.parts.some((p) => p.kind === "parameter" && p.parameter.catchAll),
  );
  if (catchAllAt !== -1 && catchAllAt !== segments.length - 1)
    throw new Error(`catch-all parameter must be the last segment`);
  return { segments, parameters, precedence: segments.map(precedenceDigit) };
};
