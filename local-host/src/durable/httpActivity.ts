/**
 * callHttp as the Durable extension runs it: the request (durable-functions' DurableHttpRequest, as the CallHttp
 * action carries it) goes to the built-in activity `BuiltIn::HttpActivity`, whose TaskCompleted result is the
 * serialized DurableHttpResponse { statusCode, headers, content }. With asynchronousPatternEnabled (the default),
 * a 202 with a Location header is polled: a timer (Retry-After seconds, else the default sleep), then a GET of
 * the Location with the original headers minus x-functions-key, until the answer is not such a 202.
 */
export const HTTP_ACTIVITY = "BuiltIn::HttpActivity";
/** The extension's HttpSettings.DefaultAsyncRequestSleepTimeMilliseconds, also told to the library. */
export const DEFAULT_HTTP_POLL_MS = 30_000;

export interface DurableHttpRequestWire {
  readonly method: string;
  readonly uri: string;
  readonly content?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly tokenSource?: unknown;
  readonly asynchronousPatternEnabled?: boolean;
}

export interface DurableHttpResponseWire {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly content: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

export const readRequest = (json: string | undefined): DurableHttpRequestWire | undefined => {
  try {
    const parsed: unknown = JSON.parse(json ?? "");
    return isRecord(parsed) && typeof parsed.uri === "string" && typeof parsed.method === "string"
      ? (parsed as unknown as DurableHttpRequestWire)
      : undefined;
  } catch {
    return undefined;
  }
};

const header = (headers: Readonly<Record<string, string>> | undefined, name: string): string | undefined =>
  Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

/** Performs one request; the response, whatever its status, is the activity's result. */
export const runHttpActivity = async (input: string | undefined): Promise<DurableHttpResponseWire> => {
  const request = readRequest(input);
  if (request === undefined) throw new Error("the callHttp request is not a DurableHttpRequest");
  let response: Response;
  try {
    response = await fetch(request.uri, {
      method: request.method,
      headers: { ...request.headers },
      body: request.content ?? undefined,
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
    throw new Error(`${request.method} ${request.uri} failed${cause}`, { cause: error });
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  return { statusCode: response.status, headers, content: await response.text() };
};

/**
 * The poll that follows a completed HTTP task, if any: its request and the delay before it, or undefined when
 * the result is final (not a 202 with Location, or the caller turned asynchronousPatternEnabled off).
 */
export const pollAfter = (
  requestJson: string | undefined,
  resultJson: string | undefined,
): { request: string; delayMs: number } | undefined => {
  const request = readRequest(requestJson);
  if (request === undefined || request.asynchronousPatternEnabled === false) return undefined;
  let result: unknown;
  try {
    result = JSON.parse(resultJson ?? "");
  } catch {
    return undefined;
  }
  if (!isRecord(result) || result.statusCode !== 202 || !isRecord(result.headers)) return undefined;
  const headers = result.headers as Record<string, string>;
  const location = header(headers, "Location");
  if (location === undefined || location === "") return undefined;
  const retryAfter = Number(header(headers, "Retry-After"));
  const poll: DurableHttpRequestWire = {
    method: "GET",
    uri: new URL(location, request.uri).href,
    headers: Object.fromEntries(
      Object.entries(request.headers ?? {}).filter(([k]) => k.toLowerCase() !== "x-functions-key"),
    ),
    asynchronousPatternEnabled: true,
  };
  const delayMs = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : DEFAULT_HTTP_POLL_MS;
  return { request: JSON.stringify(poll), delayMs };
};
