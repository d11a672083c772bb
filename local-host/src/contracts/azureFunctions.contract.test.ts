import type * as AzureFunctions from "@azure/functions";
import type * as DurableFunctions from "durable-functions";

import { invocationContextFor } from "../invocation";
import { captureFunctions } from "../test-support/captureFunctions";
import { pinMismatch } from "./pinnedVersion";
import { inPlainNode } from "./plainNode";

/**
 * @azure/functions 4.16.5 contract: the host stands in for the Node worker, so it relies on how the library
 * talks to `@azure/functions-core` and on what it hands over.
 *
 * - functionsCore.ts: the library asks for `@azure/functions-core` once, lazily, and keeps the answer
 *   (tryGetCoreApiLazy), so installFunctionsCore must patch Node's Module._resolveFilename/_load before the
 *   first registration; it calls setProgrammingModel once with its ProgrammingModel, then
 *   registerFunction(metadata, handler) per app.* call and registerHook(name, callback) per app.hook.*.
 * - httpHost.ts, eventHubHost.ts, timerHost.ts, durable/: the callback given to registerFunction is the app's
 *   handler itself (the host skips the ProgrammingModel's InvocationModel and its converters and calls it
 *   with the trigger value and an InvocationContext); metadata.bindings is keyed by binding name, with
 *   direction "in"/"out", the trigger's type ending in "Trigger" and the return binding named "$return".
 * - invocation.ts, durable/bindingInfo.ts, durable/clientBinding.ts: the InvocationContext constructor options
 *   (functionName, invocationId, triggerMetadata, options.trigger/extraInputs/extraOutputs, logHandler) and
 *   context.extraInputs resolving a binding by name or by binding object.
 * - runtime.ts: app.hook.appStart wraps the handler in a hook callback taking the core hook context.
 */
type Af = typeof AzureFunctions;
/* eslint-disable @typescript-eslint/no-require-imports */
const loadAf = (): Af => require("@azure/functions") as Af;
const loadDf = (): typeof DurableFunctions => require("durable-functions") as typeof DurableFunctions;
/* eslint-enable @typescript-eslint/no-require-imports */
const handler = (): AzureFunctions.HttpResponseInit => ({ status: 204 });

describe("@azure/functions 4.16.5 contract, the internals the host relies on", () => {
  it("is installed at exactly the version local-host/package.json pins", () => {
    expect(pinMismatch("@azure/functions")).toBeUndefined();
  });

  it("loaded by Node after installFunctionsCore, sets its model once and keeps the first core module it got", () => {
    const result = inPlainNode(`
      const first = new core.FunctionsCoreShim();
      const second = new core.FunctionsCoreShim();
      const uninstall = core.installFunctionsCore(first);
      const { app } = require("@azure/functions");
      const handler = () => ({ status: 204 });
      app.http("first", { handler });
      uninstall();
      const uninstallSecond = core.installFunctionsCore(second);
      app.http("second", { handler });
      uninstallSecond();
      const model = first.module().getProgrammingModel();
      done({
        first: [...first.functions.keys()],
        second: second.functions.size,
        handlerKept: first.functions.get("first").callback === handler,
        model: { name: model.name, version: model.version, invocationModel: typeof model.getInvocationModel },
      });
    `);
    expect(result).toEqual({
      first: ["first", "second"],
      second: 0,
      handlerKept: true,
      model: { name: "@azure/functions", version: "4.16.5", invocationModel: "function" },
    });
  });

  it("registers the app's handler itself, with bindings keyed by name and the trigger's type ending in Trigger", () => {
    const shim = captureFunctions(() => {
      const df = loadDf();
      loadAf().app.http("starter", {
        route: "start/{name}",
        methods: ["POST"],
        extraInputs: [df.input.durableClient()],
        handler,
      });
    });
    const fn = shim.functions.get("starter");
    expect(fn?.callback).toBe(handler);
    const bindings = Object.entries(fn?.metadata.bindings ?? {});
    expect(bindings).toEqual(
      expect.arrayContaining([
        [
          fn?.trigger.name,
          expect.objectContaining({ type: "httpTrigger", direction: "in", route: "start/{name}" }),
        ],
        ["$return", expect.objectContaining({ type: "http", direction: "out" })],
        [expect.any(String), expect.objectContaining({ type: "durableClient", direction: "in" })],
      ]),
    );
  });

  it("builds an InvocationContext from the host's options and resolves extra inputs by name or binding", () => {
    const shim = captureFunctions(() => {
      const df = loadDf();
      loadAf().app.http("withClient", { extraInputs: [df.input.durableClient()], handler });
    });
    const fn = shim.functions.get("withClient");
    if (fn === undefined) throw new Error("not captured");
    const logged: string[] = [];
    const context = invocationContextFor(fn, {
      triggerMetadata: { key: "value" },
      log: (level, name, message) => logged.push(`${level} ${name} ${message}`),
    });
    const client = context.options.extraInputs.find((b) => b.type === "durableClient");
    if (client === undefined) throw new Error("no durableClient binding in extraInputs");
    context.extraInputs.set(client.name, "binding value");
    expect(context.extraInputs.get(client)).toBe("binding value");
    expect(context.options.trigger.type).toBe("httpTrigger");
    expect(context.triggerMetadata).toEqual({ key: "value" });
    context.warn("careful");
    expect(logged).toEqual(["warning withClient careful"]);
  });

  it("wraps an appStart handler in a hook that reads the hook context the host passes", async () => {
    const seen: unknown[] = [];
    const shim = captureFunctions(() =>
      loadAf().app.hook.appStart((context) => void seen.push(context.hookData)),
    );
    await shim.runHooks("appStart", { functionAppDirectory: "/app" });
    expect(seen).toEqual([{}]);
  });
});
