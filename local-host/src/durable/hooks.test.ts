import type * as AzureFunctions from "@azure/functions";

import { captureDurable, type Harness, runToCompletion, startHarness } from "./testHarness";

/** Orchestrators, activities and entities run through the app's programming model, so invocation hooks wrap
    them as the Node worker wraps every function. */
describe("invocation hooks around durable functions", () => {
  const seen: string[] = [];
  const shim = captureDurable((df) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { app } = require("@azure/functions") as typeof AzureFunctions;
    app.hook.preInvocation((context) => {
      seen.push(`pre ${context.invocationContext.functionName}`);
    });
    app.hook.postInvocation((context) => {
      // A postInvocation hook may replace an activity's result, as in the worker.
      if (context.invocationContext.functionName === "hooked") context.result = "replaced";
      seen.push(`post ${context.invocationContext.functionName}`);
    });
    df.app.activity("hooked", { handler: () => "original" });
    df.app.entity("tally", (context) => {
      context.df.return((context.df.getState(() => 0) as number) + 1);
    });
    df.app.orchestration("usesAll", function* (context) {
      const a = (yield context.df.callActivity("hooked")) as string;
      const b = (yield context.df.callEntity(new df.EntityId("tally", "k"), "next")) as number;
      return { a, b };
    });
  });

  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(shim);
  });
  afterEach(() => h.close());

  it("runs pre- and postInvocation hooks around every episode, activity and entity batch", async () => {
    const status = await runToCompletion(h, "usesAll");
    expect(status.output).toEqual({ a: "replaced", b: 1 });
    const count = (entry: string) => seen.filter((s) => s === entry).length;
    // Three episodes: the start, the activity's result, the entity's response.
    expect(count("pre usesAll")).toBe(3);
    expect(count("post usesAll")).toBe(3);
    expect(count("pre hooked")).toBe(1);
    expect(count("post hooked")).toBe(1);
    expect(count("pre tally")).toBe(1);
    expect(count("post tally")).toBe(1);
  });
});
