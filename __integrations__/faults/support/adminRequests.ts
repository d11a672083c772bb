import http from "node:http";

import { type AdminClient } from "../../agent/adminClient";

export interface RawResponse {
  readonly status: number;
  readonly contentType: string;
  /** The parsed body, or the text when it is not JSON. */
  readonly body: unknown;
}

/** A problem+json body's field paths (empty when there are none). */
export const errorPaths = (body: unknown): ReadonlyArray<string> => {
  const errors = (body as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) ? errors.map((e) => String((e as { path?: unknown }).path)) : [];
};

/** Sends `body` exactly as given (no axios serialisation) with these headers. */
export const sendRaw = async (
  admin: AdminClient,
  method: "POST" | "PUT",
  route: string,
  body: string,
  headers: Readonly<Record<string, string>>,
): Promise<RawResponse> => {
  const response = await admin.http.request<unknown>({
    method,
    url: route,
    data: body,
    headers: { ...headers },
    transformRequest: [(data: unknown) => data],
  });
  return {
    status: response.status,
    contentType: String(response.headers["content-type"] ?? ""),
    body: response.data,
  };
};

/**
 * POSTs `totalBytes` of JSON-looking text in chunks with Transfer-Encoding: chunked (no Content-Length), so a
 * size check that trusts the declared length alone would miss it.
 */
export const postChunked = (
  url: string,
  adminKey: string,
  totalBytes: number,
): Promise<{ status: number; contentType: string }> =>
  new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: "POST",
        headers: {
          "x-functions-key": adminKey,
          "content-type": "application/json",
          "transfer-encoding": "chunked",
        },
      },
      (response) => {
        response.resume();
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, contentType: response.headers["content-type"] ?? "" }),
        );
      },
    );
    request.on("error", reject);
    const chunk = Buffer.alloc(8 * 1024, "a");
    request.write('{"url":"');
    for (let sent = 0; sent < totalBytes; sent += chunk.length) request.write(chunk);
    request.end('"}');
  });

/** The stored webhooks as ids and ETag-relevant state, to prove a refused request changed nothing. */
export const webhookSnapshot = async (admin: AdminClient): Promise<ReadonlyArray<unknown>> => {
  const response = await admin.http.get<{ items: unknown[] }>("/webhooks");
  if (response.status !== 200) throw new Error(`list webhooks: HTTP ${response.status}`);
  return response.data.items;
};
