import { HttpRequest, type HttpResponseInit } from "@azure/functions";

/** An @azure/functions HttpRequest as the host would build it (the library's own test-mode constructor). */
export const httpRequest = (init: {
  method: string;
  path: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  params?: Record<string, string>;
}): HttpRequest => {
  const text = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  return new HttpRequest({
    method: init.method,
    url: `http://127.0.0.1:7071${init.path}`,
    ...(text === undefined ? {} : { body: { string: text } }),
    headers: { ...(text === undefined ? {} : { "content-type": "application/json" }), ...init.headers },
    query: init.query ?? {},
    params: init.params ?? {},
  });
};

/** The JSON body of a handler's response. */
export const bodyOf = (response: HttpResponseInit): any => response.jsonBody;

export const headerOf = (response: HttpResponseInit, name: string): string | undefined =>
  (response.headers as Record<string, string> | undefined)?.[name];
