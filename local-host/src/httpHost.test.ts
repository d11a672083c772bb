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
const loadApp = (register: (app: typeof AzureFunctions.app) => void): FunctionsCoreShim =>
  captureFunctions(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { app } = require("@azure/functions") as typeof AzureFunctions;
    register(app);
  });

const MASTER = "master-key";
const hosts: RunningHttpHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

const serve = async (
  register: (app: typeof AzureFunctions.app) => void,
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
