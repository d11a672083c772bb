import http from "node:http";

import type * as AzureFunctions from "@azure/functions";

import type { FunctionsCoreShim } from "./functionsCore";
import { type RunningHttpHost, startHttpHost } from "./httpHost";
import { functionKeySetting, functionKeysFrom } from "./httpKeys";
import { captureFunctions } from "./test-support/captureFunctions";

/**
 * The HTTP trigger server end to end: a small app registered through @azure/functions, served by startHttpHost on
 * a free port, driven with fetch over 127.0.0.1. Routes, keys, methods and the request and response as the handler
 * sees and returns them behave as under the Functions host.
 */
type Register = (app: typeof AzureFunctions.app, library: typeof AzureFunctions) => void;

const loadApp = (register: Register): FunctionsCoreShim =>
  captureFunctions(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const library = require("@azure/functions") as typeof AzureFunctions;
    register(library.app, library);
  });

const MASTER = "master-key";
const hosts: RunningHttpHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

const serve = async (
  register: Register,
  options: { routePrefix?: string; functionKeys?: Record<string, string> } = {},
): Promise<RunningHttpHost> => {
  const host = await startHttpHost(0, {
    shim: loadApp(register),
    adminKey: MASTER,
    routePrefix: options.routePrefix ?? "api",
    log: () => undefined,
    ...(options.functionKeys === undefined ? {} : { functionKeys: options.functionKeys }),
  });
  hosts.push(host);
  return host;
};

const echoName: AzureFunctions.HttpHandler = (_request, context) => ({ body: context.functionName });

describe("keys and auth levels", () => {
  const keyedApp = (app: typeof AzureFunctions.app): void => {
    app.http("open", { methods: ["GET"], authLevel: "anonymous", handler: echoName });
    app.http("ownKey", { methods: ["GET"], authLevel: "function", handler: echoName });
    app.http("otherKey", { methods: ["GET"], authLevel: "function", handler: echoName });
    app.http("adminOnly", { methods: ["GET"], authLevel: "admin", handler: echoName });
  };
  const status = async (
    host: RunningHttpHost,
    path: string,
    key?: string,
    via: "header" | "code" = "header",
  ) => {
    const url = `${host.url}/api/${path}${key !== undefined && via === "code" ? `?code=${key}` : ""}`;
    const headers: Record<string, string> =
      key !== undefined && via === "header" ? { "x-functions-key": key } : {};
    const res = await fetch(url, { headers });
    return res.status;
  };

  it("opens a function-level route with its own key or the master key, and no other function's key", async () => {
    const host = await serve(keyedApp, { functionKeys: { ownKey: "own-key", otherKey: "other-key" } });
    expect(await status(host, "ownkey", "own-key")).toBe(200);
    expect(await status(host, "ownkey", "own-key", "code")).toBe(200);
    expect(await status(host, "ownkey", MASTER)).toBe(200);
    expect(await status(host, "ownkey", "other-key")).toBe(401);
    expect(await status(host, "ownkey")).toBe(401);
    expect(await status(host, "otherkey", "other-key")).toBe(200);
  });

  it("opens an admin-level route with the master key only", async () => {
    const host = await serve(keyedApp, { functionKeys: { adminOnly: "admin-only-key" } });
    expect(await status(host, "adminonly", MASTER)).toBe(200);
    expect(await status(host, "adminonly", MASTER, "code")).toBe(200);
    expect(await status(host, "adminonly", "admin-only-key")).toBe(401);
  });

  it("answers a missing or wrong key with 401 problem+json, and needs no key for anonymous routes", async () => {
    const host = await serve(keyedApp);
    const res = await fetch(`${host.url}/api/ownkey`, { headers: { "x-functions-key": "wrong" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ status: 401, title: "Unauthorized" });
    expect(await status(host, "open")).toBe(200);
  });

  it("takes the header's key over ?code= when both are sent, as the host does", async () => {
    const host = await serve(keyedApp);
    const res = await fetch(`${host.url}/api/ownkey?code=${MASTER}`, {
      headers: { "x-functions-key": "wrong" },
    });
    expect(res.status).toBe(401);
  });

  it("reads per-function keys from FUNCTION_KEY_<NAME IN UPPER SNAKE CASE>, ignoring empty values", () => {
    expect(functionKeySetting("webhooks-get")).toBe("FUNCTION_KEY_WEBHOOKS_GET");
    expect(functionKeySetting("getWebhook")).toBe("FUNCTION_KEY_GET_WEBHOOK");
    expect(functionKeySetting("HTTPTrigger1")).toBe("FUNCTION_KEY_HTTP_TRIGGER1");
    expect(
      functionKeysFrom({ FUNCTION_KEY_GET_WEBHOOK: "k1", FUNCTION_KEY_OTHER: "" }, [
        "getWebhook",
        "other",
        "none",
      ]),
    ).toEqual({ getWebhook: "k1" });
  });
});

describe("routes", () => {
  const paramsOf: AzureFunctions.HttpHandler = (request, context) => ({
    jsonBody: { fn: context.functionName, params: request.params },
  });
  const get = async (host: RunningHttpHost, path: string) => {
    const res = await fetch(`${host.url}${path}`);
    return { status: res.status, body: res.status === 200 ? await res.json() : undefined };
  };

  it("sends a value that fails a constraint to the next matching route, or answers 404", async () => {
    const host = await serve((app) => {
      app.http("byName", { methods: ["GET"], route: "r/{name}", handler: paramsOf });
      app.http("byId", { methods: ["GET"], route: "r/{id:int}", handler: paramsOf });
      app.http("onlyInt", { methods: ["GET"], route: "n/{id:int:range(1,9)}", handler: paramsOf });
    });
    expect(await get(host, "/api/r/12")).toEqual({ status: 200, body: { fn: "byId", params: { id: "12" } } });
    expect(await get(host, "/api/r/abc")).toEqual({
      status: 200,
      body: { fn: "byName", params: { name: "abc" } },
    });
    expect((await get(host, "/api/n/5")).status).toBe(200);
    expect((await get(host, "/api/n/10")).status).toBe(404);
    expect((await get(host, "/api/n/abc")).status).toBe(404);
  });

  it("gives the handler defaults and optional parameters, matching case-insensitively with a trailing slash", async () => {
    const host = await serve((app) =>
      app.http("items", {
        methods: ["GET"],
        route: "items/{id:guid}/{view=summary}/{part?}",
        handler: paramsOf,
      }),
    );
    const id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    expect(await get(host, `/API/Items/${id}/`)).toEqual({
      status: 200,
      body: { fn: "items", params: { id, view: "summary" } },
    });
    expect((await get(host, `/api/items/${id}/full/head`)).body).toEqual({
      fn: "items",
      params: { id, view: "full", part: "head" },
    });
    expect((await get(host, "/api/items/not-a-guid")).status).toBe(404);
  });

  it("serves routes under host.json's routePrefix, with no prefix when it is empty", async () => {
    const host = await serve((app) => app.http("hello", { methods: ["GET"], handler: paramsOf }), {
      routePrefix: "",
    });
    expect((await get(host, "/hello")).status).toBe(200);
    expect((await get(host, "/api/hello")).status).toBe(404);
  });

  it("refuses to start with an unknown constraint, naming the function and the constraint", async () => {
    await expect(
      serve((app) => app.http("badRoute", { route: "x/{id:slug}", handler: echoName })),
    ).rejects.toThrow(
      'Function "badRoute": route "x/{id:slug}": parameter "id": unknown route constraint "slug"',
    );
  });
});

describe("methods", () => {
  it("defaults app.http to GET and POST (the library's default) and answers other methods 404, as the host does", async () => {
    const host = await serve((app) => app.http("both", { handler: echoName }));
    expect((await fetch(`${host.url}/api/both`)).status).toBe(200);
    expect((await fetch(`${host.url}/api/both`, { method: "POST" })).status).toBe(200);
    const put = await fetch(`${host.url}/api/both`, { method: "PUT" });
    expect(put.status).toBe(404);
    expect(((await put.json()) as { detail: string }).detail).toBe(
      "No function serves PUT /api/both (its route takes GET, POST)",
    );
  });

  it("accepts every method on a trigger that names none, and matches named methods case-insensitively", async () => {
    const host = await serve((app, { output }) => {
      app.generic("anyMethod", {
        trigger: { type: "httpTrigger", name: "request", route: "any" },
        return: output.http({}),
        handler: echoName as AzureFunctions.FunctionHandler,
      });
      app.http("lower", {
        methods: ["delete" as AzureFunctions.HttpMethod],
        route: "lower",
        handler: echoName,
      });
    });
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
      expect({ method, status: (await fetch(`${host.url}/api/any`, { method })).status }).toEqual({
        method,
        status: 200,
      });
    expect((await fetch(`${host.url}/api/lower`, { method: "DELETE" })).status).toBe(200);
  });
});

describe("requests and responses", () => {
  it("turns HttpResponse cookies into Set-Cookie headers as ASP.NET Core writes them, after the response's own", async () => {
    const host = await serve((app) =>
      app.http("cookies", {
        methods: ["GET"],
        handler: () => ({
          headers: { "set-cookie": "fromHeader=1" },
          cookies: [
            {
              name: "session",
              value: "a b;c",
              expires: new Date(Date.UTC(2030, 0, 1)),
              maxAge: 60,
              domain: "example.test",
              secure: true,
              sameSite: "Strict",
              httpOnly: true,
            },
            { name: "plain", value: "v", path: "/app", sameSite: "None" },
          ],
        }),
      }),
    );
    const res = await fetch(`${host.url}/api/cookies`);
    expect(res.headers.getSetCookie()).toEqual([
      "fromHeader=1",
      "session=a%20b%3Bc; expires=Tue, 01 Jan 2030 00:00:00 GMT; max-age=60; domain=example.test; path=/; secure; samesite=strict; httponly",
      "plain=v; path=/app; samesite=none",
    ]);
  });

  it("hands repeated query parameters over as one value joined with commas, names case-insensitive", async () => {
    const host = await serve((app) =>
      app.http("query", {
        methods: ["GET"],
        handler: (request) => ({
          jsonBody: {
            tag: request.query.getAll("tag"),
            Tag: request.query.get("Tag"),
            empty: request.query.get("empty"),
            url: request.url,
          },
        }),
      }),
    );
    const res = await fetch(`${host.url}/api/query?tag=a&tag=b&Tag=c%2Cd&empty`);
    expect(await res.json()).toEqual({
      tag: ["a,b,c,d"],
      Tag: null,
      empty: "",
      url: `${host.url}/api/query?tag=a&tag=b&Tag=c%2Cd&empty`,
    });
  });

  it("hands a header sent on several lines over as one value joined with commas", async () => {
    const host = await serve((app) =>
      app.http("headers", {
        methods: ["GET"],
        handler: (request) => ({
          body: `${request.headers.get("x-tag")}|${request.headers.get("user-agent")}`,
        }),
      }),
    );
    // fetch folds repeated headers into one line; node:http sends each raw name/value pair on its own line
    // (and then adds no Host header of its own).
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.get(
        `${host.url}/api/headers`,
        {
          headers: [
            "host",
            `127.0.0.1:${host.port}`,
            "x-tag",
            "a",
            "x-tag",
            "b",
            "user-agent",
            "one",
            "user-agent",
            "two",
          ],
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve(Buffer.concat(chunks).toString()));
        },
      );
      req.on("error", reject);
    });
    expect(body).toBe("a,b|one,two");
  });
});
