import { timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

import { HttpRequest, HttpResponse, type HttpResponseInit, type InvocationContext } from "@azure/functions";

import type { CapturedFunction } from "./functionsCore";
import { compileRoute, matchRoute } from "./httpRoutes";
import { invocationContextFor, type LocalLog } from "./invocation";

export interface HttpHostOptions {
  readonly functions: ReadonlyArray<CapturedFunction>;
  /** The function key: `x-functions-key` header or `?code=` for authLevel function/admin. */
  readonly adminKey: string;
  readonly routePrefix: string;
  readonly log: LocalLog;
  /** Called for every invocation, e.g. to attach the durable client binding. */
  readonly prepare?: (fn: CapturedFunction, context: InvocationContext) => void;
  /** Requests this returns true for are handled outside the function routes (the durable HTTP API). */
  readonly extra?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
  /** Request bodies larger than this are refused with 413 before any function runs. */
  readonly maxBodyBytes?: number;
}

export interface RunningHttpHost {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

const keyMatches = (given: string | null, expected: string): boolean => {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

const problem = (
  res: http.ServerResponse,
  status: number,
  title: string,
  detail: string,
  headers = {},
): void => {
  res.writeHead(status, { "content-type": "application/problem+json", ...headers });
  res.end(JSON.stringify({ type: "about:blank", title, status, detail, errors: [] }));
};

const readBody = (req: http.IncomingMessage, max: number): Promise<Buffer | "too-large"> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        resolve("too-large");
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });

const flatHeaders = (req: http.IncomingMessage): Record<string, string> =>
  Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]),
  );

/** Serves the app's HTTP triggers on 127.0.0.1 under the same routes and auth levels as Azure. */
export const startHttpHost = async (port: number, options: HttpHostOptions): Promise<RunningHttpHost> => {
  const routes = options.functions.map((fn) => compileRoute(fn, options.routePrefix));
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (options.extra !== undefined && (await options.extra(req, res))) return;
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    const found = matchRoute(routes, method, url.pathname);
    if (found.kind === "none") return problem(res, 404, "Not Found", `No function serves ${url.pathname}`);
    if (found.kind === "method-not-allowed") {
      return problem(res, 405, "Method Not Allowed", `Use ${found.allow.join(", ")}`, {
        allow: found.allow.join(", "),
      });
    }
    const { route, params } = found;
    if (route.authLevel !== "anonymous") {
      const given = (req.headers["x-functions-key"] as string | undefined) ?? url.searchParams.get("code");
      if (!keyMatches(given ?? null, options.adminKey)) {
        return problem(res, 401, "Unauthorized", "Send the function key in x-functions-key (or ?code=)");
      }
    }
    const body = await readBody(req, maxBody);
    if (body === "too-large")
      return problem(res, 413, "Payload Too Large", `Bodies are limited to ${maxBody} bytes`);
    const request = new HttpRequest({
      method,
      url: `http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`,
      ...(body.length === 0 ? {} : { body: { bytes: body } }),
      headers: flatHeaders(req),
      query: Object.fromEntries(url.searchParams),
      params,
    });
    const context = invocationContextFor(route.fn, { log: options.log });
    options.prepare?.(route.fn, context);
    const result = (await route.fn.callback(request, context)) as HttpResponseInit | HttpResponse | undefined;
    const response = result instanceof HttpResponse ? result : new HttpResponse(result ?? {});
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => (headers[name] = value));
    const payload = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, headers);
    res.end(payload);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log(
        "error",
        "http",
        `request failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (!res.headersSent)
        problem(res, 500, "Internal Server Error", "The function failed; see the runtime log");
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
