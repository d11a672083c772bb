import type * as AzureFunctions from "@azure/functions";
import type * as DurableFunctions from "durable-functions";

import { FunctionsCoreShim } from "./functionsCore";
import { captureFunctions } from "./test-support/captureFunctions";

describe("functions-core shim", () => {
  it("captures app.http, df.app.orchestration and df.app.activity registrations with their bindings", () => {
    const shim = captureFunctions(() => {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { app } = require("@azure/functions") as typeof AzureFunctions;
      const df = require("durable-functions") as typeof DurableFunctions;
      /* eslint-enable @typescript-eslint/no-require-imports */
      app.http("hello", {
        route: "hello/{name}",
        authLevel: "function",
        methods: ["GET"],
        handler: () => ({}),
      });
      df.app.orchestration("orch", function* () {
        yield* [];
        return 1;
      });
      df.app.activity("act", { handler: () => 2 });
      app.hook.appStart(() => undefined);
    });
    expect([...shim.functions.keys()].sort()).toEqual(["act", "hello", "orch"]);
    expect(shim.functions.get("hello")?.trigger).toMatchObject({
      type: "httpTrigger",
      route: "hello/{name}",
      authLevel: "function",
      methods: ["GET"],
    });
    expect(shim.byTriggerType("orchestrationTrigger").map((f) => f.name)).toEqual(["orch"]);
    expect(shim.byTriggerType("activityTrigger").map((f) => f.name)).toEqual(["act"]);
    expect(shim.hooks.get("appStart")).toHaveLength(1);
  });

  it("refuses to register the same function name twice", () => {
    const shim = new FunctionsCoreShim();
    const metadata = { name: "f", bindings: { t: { type: "httpTrigger", direction: "in" } } };
    shim.registerFunction(metadata, () => undefined);
    expect(() => shim.registerFunction(metadata, () => undefined)).toThrow(/already registered/);
  });
});
