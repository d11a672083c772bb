import { timingSafeEqual } from "node:crypto";
import type http from "node:http";

import type { AuthLevel } from "./httpRoutes";

/**
 * Function keys as the Functions host checks them: `admin` accepts only the master (host) key; `function`
 * accepts the master key or the function's own key; `anonymous` needs none. The key comes from the
 * `x-functions-key` header, else the `code` query parameter (the header wins when both are sent).
 */
export interface HttpKeys {
  /** The master key (ADMIN_KEY in the local runtime). */
  readonly master: string;
  /** Per-function keys by function name. */
  readonly functions?: Readonly<Record<string, string>>;
}

/** `FUNCTION_KEY_<NAME>`: the function name in upper snake case (`webhooks-get` and `webhooksGet` → `WEBHOOKS_GET`). */
export const functionKeySetting = (functionName: string): string =>
  `FUNCTION_KEY_${functionName
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase()}`;

/** The per-function keys the environment sets (empty values are ignored), by function name. */
export const functionKeysFrom = (
  env: NodeJS.ProcessEnv,
  functionNames: ReadonlyArray<string>,
): Record<string, string> =>
  Object.fromEntries(
    functionNames.flatMap((name) => {
      const value = env[functionKeySetting(name)];
      return value === undefined || value === "" ? [] : [[name, value]];
    }),
  );

const keyMatches = (given: string, expected: string | undefined): boolean => {
  if (expected === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** The key a request carries: the `x-functions-key` header, else `?code=`. */
export const requestKey = (req: http.IncomingMessage, url: URL): string | null => {
  const header = req.headers["x-functions-key"];
  if (header !== undefined) return Array.isArray(header) ? (header[0] ?? "") : header;
  return url.searchParams.get("code");
};

/** Whether `given` opens a route of this auth level for this function. */
export const authorized = (
  level: AuthLevel,
  functionName: string,
  given: string | null,
  keys: HttpKeys,
): boolean => {
  if (level === "anonymous") return true;
  if (given === null) return false;
  // Check both keys whatever the first result, so the time taken does not tell which one matched.
  const master = keyMatches(given, keys.master);
  const own = level === "function" && keyMatches(given, keys.functions?.[functionName]);
  return master || own;
};
