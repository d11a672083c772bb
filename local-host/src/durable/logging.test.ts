import type { LogLevel } from "@azure/functions";

import { captureDurable, type Harness, runToCompletion, startHarness } from "./testHarness";

/** context.log and its level methods inside orchestrators and activities, as the Node worker passes them on. */
describe("durable function logging", () => {
  const shim = captureDurable((df) => {
    df.app.activity("chatty", {
      handler: (input: unknown, context) => {
        context.trace("activity trace", { input });
        context.debug("activity debug %d", 7);
        return input;
      },
    });
    df.app.orchestration("talker", function* (context) {
      context.log("every replay", { step: 0 });
      if (!context.df.isReplaying) context.info("first pass only");
      yield context.df.callActivity("chatty", "a");
      if (!context.df.isReplaying) context.warn("after the first activity", ["x", 1]);
      yield context.df.callActivity("chatty", "b");
      if (!context.df.isReplaying) context.error("after the second activity");
      return "done";
    });
  });

  let h: Harness;
  const lines: Array<{ level: LogLevel; fn: string; message: string }> = [];
  beforeEach(async () => {
    lines.length = 0;
    h = await startHarness(shim, { functionLog: (level, fn, message) => lines.push({ level, fn, message }) });
  });
  afterEach(() => h.close());

  it("passes every level on, formatted with util.format, and leaves replay-safety to isReplaying", async () => {
    const status = await runToCompletion(h, "talker");
    expect(status.runtimeStatus).toBe("Completed");
    const of = (fn: string) => lines.filter((l) => l.fn === fn).map((l) => `${l.level} ${l.message}`);
    // Three episodes (start, after a, after b): the unguarded line is written at each replay, as on Azure.
    expect(of("talker")).toEqual([
      "information every replay { step: 0 }",
      "information first pass only",
      "information every replay { step: 0 }",
      "warning after the first activity [ 'x', 1 ]",
      "information every replay { step: 0 }",
      "error after the second activity",
    ]);
    expect(of("chatty")).toEqual([
      "trace activity trace { input: 'a' }",
      "debug activity debug 7",
      "trace activity trace { input: 'b' }",
      "debug activity debug 7",
    ]);
  });
});
