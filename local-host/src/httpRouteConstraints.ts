/**
 * Inline route constraints (`{id:int}`, `{name:length(3,8)}`, `{x:regex(^a+$)}`) as ASP.NET Core's
 * DefaultInlineConstraintResolver defines them, which is what the Functions host uses for HTTP trigger routes.
 * Numbers are parsed with the invariant culture's rules; a value that fails a constraint makes the route not match.
 */

export type RouteConstraint = (value: string) => boolean;

/** .NET's NumberStyles white space: U+0009 to U+000D and U+0020. */
const WS = "[\\t\\n\\v\\f\\r ]*";

const INT32 = { min: -(2n ** 31n), max: 2n ** 31n - 1n };
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

/** int.TryParse / long.TryParse with NumberStyles.Integer: white space, a leading sign, ASCII digits. */
const parseInteger = (value: string, range: { min: bigint; max: bigint }): bigint | undefined => {
  const match = new RegExp(`^${WS}([+-]?\\d+)${WS}$`).exec(value);
  if (match === null) return undefined;
  const parsed = BigInt(match[1]!);
  return parsed >= range.min && parsed <= range.max ? parsed : undefined;
};

/** decimal.TryParse with NumberStyles.Number: thousands separators, a point, a leading or trailing sign, no exponent. */
const DECIMAL = new RegExp(`^${WS}([+-]?)(?=[\\d.])(?:\\d[\\d,]*)?(?:\\.\\d*)?([+-]?)${WS}$`);
/** double.TryParse with NumberStyles.Float | AllowThousands, plus the invariant culture's Infinity and NaN symbols. */
const FLOAT = new RegExp(
  `^${WS}[+-]?(?:(?:(?=\\d|\\.\\d)(?:\\d[\\d,]*)?(?:\\.\\d*)?(?:e[+-]?\\d+)?)|infinity|nan)${WS}$`,
  "i",
);
/** decimal.MaxValue (2^96 - 1), as a double: close enough to tell an overflow. */
const DECIMAL_MAX = 2 ** 96 - 1;

const isDecimal = (value: string): boolean => {
  const match = DECIMAL.exec(value);
  if (match === null || !/\d/.test(value) || (match[1] !== "" && match[2] !== "")) return false;
  const digits = value.replace(/[\s,+-]/g, "");
  return Math.abs(Number(digits)) <= DECIMAL_MAX;
};

const HEX = "[0-9a-f]";
const GUID_D = `${HEX}{8}-${HEX}{4}-${HEX}{4}-${HEX}{4}-${HEX}{12}`;
/** Guid.TryParse: the N, D, B and P formats (the X format of hex groups in braces is not accepted here). */
const GUID = new RegExp(`^${WS}(?:${HEX}{32}|${GUID_D}|\\{${GUID_D}\\}|\\(${GUID_D}\\))${WS}$`, "i");

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * DateTime.TryParse with the invariant culture accepts many forms. This accepts the ISO 8601 ones a URL segment
 * carries: `2024-01-31`, `2024-01-31T10:00`, with seconds, fractions, `Z` or an offset, `T` or a space before
 * the time, and checks that the date exists. (The invariant `M/d/yyyy` needs `/`, which a segment cannot hold.)
 */
const DATETIME = new RegExp(
  `^${WS}(\\d{4})-(\\d{1,2})-(\\d{1,2})(?:[T ](\\d{1,2}):(\\d{2})(?::(\\d{2})(?:\\.\\d{1,7})?)?(?:Z|[+-]\\d{2}:?\\d{2})?)?${WS}$`,
  "i",
);
const isDateTime = (value: string): boolean => {
  const match = DATETIME.exec(value);
  if (match === null) return false;
  const [year, month, day, hour = 0, minute = 0, second = 0] = match.slice(1).map((p) => Number(p ?? 0));
  return (
    year! >= 1 &&
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= daysIn(year!, month!) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59
  );
};

const BOOL = /^[\s\0]*(?:true|false)[\s\0]*$/i;

const wholeNumber = (text: string, what: string): bigint => {
  const parsed = parseInteger(text, INT64);
  if (parsed === undefined) throw new Error(`${what}: "${text}" is not a whole number`);
  return parsed;
};

const argsOf = (name: string, args: string | undefined, count: ReadonlyArray<number>): string[] => {
  const list = args === undefined ? [] : args.split(",").map((a) => a.trim());
  if (!count.includes(list.length))
    throw new Error(`constraint "${name}" takes ${count.join(" or ")} argument(s), got ${list.length}`);
  return list;
};

const integerBetween =
  (min: bigint, max: bigint): RouteConstraint =>
  (value) => {
    const parsed = parseInteger(value, INT64);
    return parsed !== undefined && parsed >= min && parsed <= max;
  };

type Factory = (args: string | undefined, name: string) => RouteConstraint;

const noArgs =
  (check: RouteConstraint): Factory =>
  (args, name) => {
    argsOf(name, args, [0]);
    return check;
  };

const lengthBetween = (min: number, max: number): RouteConstraint => {
  if (min < 0 || max < min) throw new Error(`length bounds ${min}..${max} are not valid`);
  return (value) => value.length >= min && value.length <= max;
};

const FACTORIES: Readonly<Record<string, Factory>> = {
  int: noArgs((v) => parseInteger(v, INT32) !== undefined),
  long: noArgs((v) => parseInteger(v, INT64) !== undefined),
  bool: noArgs((v) => BOOL.test(v)),
  datetime: noArgs(isDateTime),
  decimal: noArgs(isDecimal),
  double: noArgs((v) => FLOAT.test(v)),
  float: noArgs((v) => FLOAT.test(v)),
  guid: noArgs((v) => GUID.test(v)),
  alpha: noArgs((v) => /^[a-z]*$/i.test(v)),
  required: noArgs((v) => v !== ""),
  minlength: (args, name) => {
    const [min] = argsOf(name, args, [1]);
    return lengthBetween(Number(wholeNumber(min!, name)), Number.MAX_SAFE_INTEGER);
  },
  maxlength: (args, name) => {
    const [max] = argsOf(name, args, [1]);
    return lengthBetween(0, Number(wholeNumber(max!, name)));
  },
  length: (args, name) => {
    const [a, b] = argsOf(name, args, [1, 2]);
    const min = Number(wholeNumber(a!, name));
    return lengthBetween(min, b === undefined ? min : Number(wholeNumber(b, name)));
  },
  min: (args, name) => integerBetween(wholeNumber(argsOf(name, args, [1])[0]!, name), INT64.max),
  max: (args, name) => integerBetween(INT64.min, wholeNumber(argsOf(name, args, [1])[0]!, name)),
  range: (args, name) => {
    const [min, max] = argsOf(name, args, [2]).map((a) => wholeNumber(a, name));
    if (max! < min!) throw new Error(`range(${min}, ${max}): the maximum is below the minimum`);
    return integerBetween(min!, max!);
  },
  regex: (args) => {
    if (args === undefined || args === "") throw new Error("regex needs an expression");
    // RegexRouteConstraint: IgnoreCase | CultureInvariant, IsMatch (not anchored unless the expression is).
    const regex = new RegExp(args, "i");
    return (value) => regex.test(value);
  },
};

/** Resolves one inline constraint (`int`, `length(3,8)`, `regex(...)`); throws for unknown or malformed ones. */
export const resolveConstraint = (text: string): RouteConstraint => {
  const match = /^([A-Za-z]+)(?:\((.*)\))?$/s.exec(text);
  const factory = match === null ? undefined : FACTORIES[match[1]!.toLowerCase()];
  if (factory === undefined)
    throw new Error(`unknown route constraint "${text}" (known: ${Object.keys(FACTORIES).join(", ")})`);
  return factory(match![2], match![1]!.toLowerCase());
};
