import http from "node:http";
import type { AddressInfo } from "node:net";

import type { CapturedFunction, FunctionsCoreShim } from "./functionsCore";
import { authorized, requestKey } from "./httpKeys";
import { hostResponse, rpcRequest } from "./httpMessages";
import { compileRoutes, matchRoute } from "./httpRoutes";
import { type LocalLog } from "./invocation";
import { invokeAsWorker, type RpcTypedData } from "./workerInvocation";

export interface HttpHostOptions {
  /** The app's captured registrations: its httpTrigger functions are served, invoked through its programming model. */
  readonly shim: FunctionsCoreShim;
  /** The master (host) key: the only key for authLevel admin, and accepted for authLevel function too. */
  readonly adminKey: string;
  /** Per-function keys by function name: each opens its own function's authLevel function route. */
  readonly functionKeys?: Readonly<Record<string, string>>;
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

/** Serves the app's HTTP triggers on 127.0.0.1 under the same routes and auth levels as Azure. */
export const startHttpHost = async (port: number, options: HttpHostOptions): Promise<RunningHttpHost> => {
  const routes = compileRoutes(options.shim.byTriggerType("httpTrigger"), options.routePrefix);
  const keys = { master: options.adminKey, functions: options.functionKeys ?? {} };
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (options.extra !== undefined && (await options.extra(req, res))) return;
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    const found = matchRoute(routes, method, url.pathname);
    if (found.kind === "none") return problem(res, 404, "Not Found", `No function serves ${url.pathname}`);
    if (found.kind === "method-not-allowed") {
      // As the Functions host: a route served only for other methods is not found (azure-functions-host#10098).
      const detail = `No function serves ${method} ${url.pathname} (its route takes ${found.allow.join(", ")})`;
      return problem(res, 404, "Not Found", detail);
    }
    const { route, params } = found;
    if (!authorized(route.authLevel, route.fn.name, requestKey(req, url), keys)) {
      const which = route.authLevel === "admin" ? "the master key" : "the function key or the master key";
      return problem(res, 401, "Unauthorized", `Send ${which} in x-functions-key (or ?code=)`);
    }
    const body = await readBody(req, maxBody);
    if (body === "too-large")
      return problem(res, 413, "Payload Too Large", `Bodies are limited to ${maxBody} bytes`);
    const result = await invokeAsWorker(
      options.shim,
      route.fn,
      {
        trigger: { http: rpcRequest(req, url, params, body) },
        extraInputs: options.extraInputs?.(route.fn) ?? {},
        ...(options.functionTimeoutMs === undefined ? {} : { timeoutMs: options.functionTimeoutMs }),
        ...(typeof req.headers.traceparent === "string" ? { traceParent: req.headers.traceparent } : {}),
      },
      options.log,
    );
    const response = hostResponse(result.returnValue, result.outputData);
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
    // New connections are refused and idle ones closed at once; requests being served get up to 5 s to finish.
    stop: () =>
      new Promise((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), 5000);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
};
