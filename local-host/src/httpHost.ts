import { timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

import type { CapturedFunction, FunctionsCoreShim } from "./functionsCore";
import { compileRoute, matchRoute } from "./httpRoutes";
import { type LocalLog } from "./invocation";
import { invokeAsWorker, type RpcHttpData, type RpcTypedData } from "./workerInvocation";

export interface HttpHostOptions {
  /** The app's captured registrations: its httpTrigger functions are served, invoked through its programming model. */
  readonly shim: FunctionsCoreShim;
  /** The function key: `x-functions-key` header or `?code=` for authLevel function/admin. */
  readonly adminKey: string;
  readonly routePrefix: string;
  readonly log: LocalLog;
  /** Values of a function's extra input bindings for one invocation (e.g. the durable client). */
  readonly extraInputs?: (fn: CapturedFunction) => Readonly<Record<string, RpcTypedData>>;
  /** Requests this returns true for are handled outside the function routes (the durable HTTP API). */
  readonly extra?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
  /** Request bodies larger than this are refused with 413 before any function runs. */
  readonly maxBodyBytes?: number;
  /** host.json functionTimeout in ms (none when undefined): a longer invocation is answered with 500. */
  readonly functionTimeoutMs?: number;
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

/** Bytes of an RPC body (the library sends a response body as bytes; strings and JSON are accepted too). */
const bytesOf = (data: RpcTypedData | undefined): Buffer => {
  if (data === undefined) return Buffer.alloc(0);
  if (data.bytes !== undefined) return Buffer.from(data.bytes);
  if (data.string !== undefined) return Buffer.from(data.string);
  if (data.json !== undefined) return Buffer.from(data.json);
  return Buffer.alloc(0);
};

/** The HTTP response the worker handed back: the $return binding's http data, else an http output binding's;
    a function that returned nothing answers 200 with no body, as the Functions host does for an empty response. */
const httpResponseOf = (
  returnValue: RpcTypedData | null | undefined,
  outputs: ReadonlyArray<{ readonly name: string; readonly data: RpcTypedData }>,
): { status: number; headers: Record<string, string>; body: Buffer } => {
  const rpc = returnValue?.http ?? outputs.find((o) => o.data.http !== undefined)?.data.http;
  if (rpc === undefined) return { status: 200, headers: {}, body: Buffer.alloc(0) };
  const status = Number(rpc.statusCode ?? "200");
  return {
    status: Number.isInteger(status) ? status : 200,
    headers: { ...rpc.headers },
    body: bytesOf(rpc.body),
  };
};

/** Serves the app's HTTP triggers on 127.0.0.1 under the same routes and auth levels as Azure. */
export const startHttpHost = async (port: number, options: HttpHostOptions): Promise<RunningHttpHost> => {
  const routes = options.shim.byTriggerType("httpTrigger").map((fn) => compileRoute(fn, options.routePrefix));
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
    const request: RpcHttpData = {
      method,
      url: `http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`,
      ...(body.length === 0 ? {} : { body: { bytes: body } }),
      headers: flatHeaders(req),
      query: Object.fromEntries(url.searchParams),
      params,
    };
    const result = await invokeAsWorker(
      options.shim,
      route.fn,
      {
        trigger: { http: request },
        extraInputs: options.extraInputs?.(route.fn) ?? {},
        ...(options.functionTimeoutMs === undefined ? {} : { timeoutMs: options.functionTimeoutMs }),
      },
      options.log,
    );
    const response = httpResponseOf(result.returnValue, result.outputData);
    res.writeHead(response.status, response.headers);
    res.end(response.body);
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
