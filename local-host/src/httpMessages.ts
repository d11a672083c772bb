import type http from "node:http";

import type { RpcHttpCookie, RpcHttpData, RpcNullable, RpcTypedData } from "./workerInvocation";

/**
 * HTTP messages in and out of RPC http data, as the Functions host converts them (GrpcMessageConversionExtensions
 * and RawScriptResult): repeated headers and query parameters arrive as one value joined with "," (ASP.NET's
 * StringValues), query names are case-insensitive, and response cookies become Set-Cookie headers.
 */

const nullable = (entries: Iterable<readonly [string, string]>): Record<string, RpcNullable<string>> => {
  const map: Record<string, RpcNullable<string>> = {};
  for (const [key, value] of entries) map[key] = { value };
  return map;
};

/** Header names lower-cased, each header's lines joined with "," (Node would join most with ", " and drop some). */
const headerEntries = (req: http.IncomingMessage): Array<[string, string]> =>
  Object.entries(req.headersDistinct).map(([name, values]) => [name.toLowerCase(), (values ?? []).join(",")]);

/** Query parameters merged case-insensitively (ASP.NET's QueryCollection): the first spelling of a name keeps
    all its values, joined with ",". A name without "=" has the value "". */
export const queryEntries = (search: URLSearchParams): Array<[string, string]> => {
  const byName = new Map<string, [string, string[]]>();
  for (const [name, value] of search) {
    const entry = byName.get(name.toLowerCase());
    if (entry === undefined) byName.set(name.toLowerCase(), [name, [value]]);
    else entry[1].push(value);
  }
  return [...byName.values()].map(([name, values]) => [name, values.join(",")]);
};

/** The RPC http data the host sends for a request (the worker's nullable maps, the body as bytes). */
export const rpcRequest = (
  req: http.IncomingMessage,
  url: URL,
  params: Readonly<Record<string, string>>,
  body: Buffer,
): RpcHttpData => ({
  method: (req.method ?? "GET").toUpperCase(),
  url: `http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`,
  ...(body.length === 0 ? {} : { body: { bytes: body } }),
  nullableHeaders: nullable(headerEntries(req)),
  nullableQuery: nullable(queryEntries(url.searchParams)),
  nullableParams: nullable(Object.entries(params)),
});

/** Uri.EscapeDataString: everything but RFC 3986's unreserved characters is percent-encoded. */
const escapeDataString = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** RPC SameSite to the attribute: "none" is SameSiteMode.Unspecified (no attribute), "explicitNone" is None. */
const SAME_SITE: Readonly<Record<string, string | undefined>> = {
  lax: "lax",
  strict: "strict",
  explicitNone: "none",
};

/** A Set-Cookie value as ASP.NET Core's ResponseCookies.Append writes it (value escaped, path "/" by default). */
export const setCookieValue = (cookie: RpcHttpCookie): string => {
  const parts = [`${cookie.name ?? ""}=${escapeDataString(cookie.value ?? "")}`];
  const seconds = cookie.expires?.value?.seconds;
  if (seconds !== undefined) parts.push(`expires=${new Date(Number(seconds) * 1000).toUTCString()}`);
  const maxAge = cookie.maxAge?.value;
  if (maxAge !== undefined) {
    if (maxAge < 0) throw new Error(`cookie "${cookie.name ?? ""}": maxAge must not be negative`);
    parts.push(`max-age=${Math.trunc(maxAge)}`);
  }
  if (cookie.domain?.value !== undefined) parts.push(`domain=${cookie.domain.value}`);
  parts.push(`path=${cookie.path?.value ?? "/"}`);
  if (cookie.secure?.value === true) parts.push("secure");
  const sameSite = SAME_SITE[cookie.sameSite ?? "none"];
  if (sameSite !== undefined) parts.push(`samesite=${sameSite}`);
  if (cookie.httpOnly?.value === true) parts.push("httponly");
  return parts.join("; ");
};

/** Bytes of an RPC body (the library sends a response body as bytes; strings and JSON are accepted too). */
const bytesOf = (data: RpcTypedData | undefined): Buffer => {
  if (data === undefined) return Buffer.alloc(0);
  if (data.bytes !== undefined) return Buffer.from(data.bytes);
  if (data.string !== undefined) return Buffer.from(data.string);
  if (data.json !== undefined) return Buffer.from(data.json);
  return Buffer.alloc(0);
};

export interface HostResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

/** The HTTP response the worker handed back: the $return binding's http data, else an http output binding's;
    a function that returned nothing answers 200 with no body, as the Functions host does for an empty response.
    Cookies are added after any Set-Cookie header the response set. */
export const hostResponse = (
  returnValue: RpcTypedData | null | undefined,
  outputs: ReadonlyArray<{ readonly name: string; readonly data: RpcTypedData }>,
): HostResponse => {
  const rpc = returnValue?.http ?? outputs.find((o) => o.data.http !== undefined)?.data.http;
  if (rpc === undefined) return { status: 200, headers: {}, body: Buffer.alloc(0) };
  const status = Number(rpc.statusCode ?? "200");
  const headers: Record<string, string | string[]> = { ...rpc.headers };
  const cookies = (rpc.cookies ?? []).map(setCookieValue);
  if (cookies.length > 0) {
    const own = Object.keys(headers).find((k) => k.toLowerCase() === "set-cookie");
    const existing = own === undefined ? [] : [headers[own]!].flat();
    if (own !== undefined) delete headers[own];
    headers["set-cookie"] = [...existing, ...cookies];
  }
  return { status: Number.isInteger(status) ? status : 200, headers, body: bytesOf(rpc.body) };
};
