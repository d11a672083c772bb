import { type HttpRequest, type HttpResponseInit } from "@azure/functions";
import * as E from "fp-ts/Either";

import { problem } from "./problem";

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a JSON body. Failure policy: too large, not JSON or unparseable -> a problem response; nothing is stored.
 * The parse error's position is reported, never the body's content.
 */
export const readJsonBody = async (request: HttpRequest): Promise<E.Either<HttpResponseInit, unknown>> => {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES)
    return E.left(problem(413, `The body must be at most ${MAX_BODY_BYTES} bytes`));
  const contentType = request.headers.get("content-type") ?? "application/json";
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(contentType)) {
    return E.left(problem(415, "Send the body as application/json"));
  }
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    return E.left(problem(413, `The body must be at most ${MAX_BODY_BYTES} bytes`));
  }
  try {
    return E.right(JSON.parse(text) as unknown);
  } catch (error) {
    const where = error instanceof SyntaxError ? /position \d+/.exec(error.message)?.[0] : undefined;
    return E.left(problem(400, `The body is not valid JSON${where === undefined ? "" : ` (at ${where})`}`));
  }
};
