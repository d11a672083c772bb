import { tableClient } from "../test-support/storage";
import { captureDurable, type Harness, runToCompletion, startHarness } from "./testHarness";

/** Sub-orchestrations, continueAsNew, failures and payloads past the Table Storage property/entity limits. */
describe("durable runtime features", () => {
  const big = (n: number, seed: string) => seed.repeat(Math.floor(n / seed.length));
  const seedText = big(60_000, "abcdefghijklmnopqrstuvwxy😀");
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const shim = captureDurable((df) => {
    df.app.activity("double", { handler: (n: unknown) => Number(n) * 2 });
    df.app.activity("echoBig", { handler: (i: unknown) => `${String(i)}:${seedText}` });
    df.app.orchestration("child", function* (context) {
      return (yield context.df.callActivity("double", context.df.getInput<number>())) as number;
    });
    df.app.orchestration("failingChild", function* () {
      yield* [];
      throw new Error("child broke");
    });
    df.app.orchestration("parent", function* (context) {
      const a = (yield context.df.callSubOrchestrator("child", 5)) as number;
      const b = (yield context.df.callSubOrchestrator("child", 6, "fixed-child-id")) as number;
      try {
        yield context.df.callSubOrchestrator("failingChild");
        return "not reached";
      } catch (error) {
        return { a, b, failed: (error as Error).message.includes("child broke") };
      }
    });
    df.app.orchestration("counter", function* (context) {
      const n = context.df.getInput<number>();
      yield context.df.callActivity("double", n);
      if (n < 3) {
        context.df.continueAsNew(n + 1);
        return undefined;
      }
      return `done at ${n}`;
    });
    df.app.orchestration("bigPayloads", function* (context) {
      const input = context.df.getInput<string>();
      const parts = (yield context.df.Task.all(
        Array.from({ length: 30 }, (_, i) => context.df.callActivity("echoBig", i)),
      )) as string[];
      context.df.setCustomStatus("collected");
      yield context.df.waitForExternalEvent("go");
      return {
        inputLength: input.length,
        total: parts.reduce((n, p) => n + p.length, 0),
        first: parts[0]!.slice(0, 6),
      };
    });
    df.app.activity("gated", { handler: async (i: unknown) => gate.then(() => Number(i)) });
    df.app.orchestration("fanOutGated", function* (context) {
      const results = (yield context.df.Task.all(
        Array.from({ length: 50 }, (_, i) => context.df.callActivity("gated", i)),
      )) as number[];
      return results.length;
    });
    // An activity with a durableClient input (allowed in Azure: any non-orchestrator function may be a client).
    df.app.activity("starter", {
      extraInputs: [df.input.durableClient()],
      handler: async (id: unknown, context) => {
        await df.getClient(context).startNew("child", { instanceId: String(id), input: 4 });
        return "started";
      },
    });
    df.app.orchestration("startsFromActivity", function* (context) {
      return (yield context.df.callActivity("starter", "started-by-activity")) as string;
    });
    df.app.orchestration("broken", function* () {
      yield* [];
      throw new Error("orchestrator bug");
    });
  });

  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(shim);
  });
  afterEach(() => h.close());

  it("runs sub-orchestrations and surfaces a failed one as an error in the parent", async () => {
    const status = await runToCompletion(h, "parent");
    expect(status.output).toEqual({ a: 10, b: 12, failed: true });
    expect((await h.client.getStatus("fixed-child-id")).runtimeStatus).toBe("Completed");
  });

  it("folds results that finish together into one episode instead of one episode per result", async () => {
    const id = await h.client.startNew("fanOutGated");
    for (let i = 0; i < 200 && String((await h.client.getStatus(id)).runtimeStatus) !== "Running"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    open();
    await h.runtime.whenIdle(10_000);
    expect((await h.client.getStatus(id)).output).toBe(50);
    const meta = await tableClient(`${h.taskHub}Instances`).getEntity<{ episodeCount: number }>(id, "meta");
    expect(meta.episodeCount).toBeLessThan(10); // 1 to schedule + a few folds, not 51
  });

  it("gives an activity's durableClient input a client that starts instances", async () => {
    const status = await runToCompletion(h, "startsFromActivity");
    expect(status.output).toBe("started");
    await h.runtime.whenIdle(10_000);
    expect(await h.client.getStatus("started-by-activity")).toMatchObject({
      runtimeStatus: "Completed",
      output: 8,
    });
  });

  it("continues as new with the new input until the orchestrator returns", async () => {
    const status = await runToCompletion(h, "counter", 0);
    expect(status).toMatchObject({ runtimeStatus: "Completed", output: "done at 3", input: 3 });
  });

  it("marks an orchestrator that throws as Failed with its message", async () => {
    const status = await runToCompletion(h, "broken");
    expect(status.runtimeStatus).toBe("Failed");
    expect(String(status.output)).toContain("orchestrator bug");
  });

  it("stores an episode of ~2.5 MB and a 300 KB input, and reads them back after a restart", async () => {
    const input = big(300_000, "ab😀");
    const id = await h.client.startNew("bigPayloads", { input });
    for (let i = 0; i < 200 && (await h.client.getStatus(id)).customStatus !== "collected"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const revived = await h.restart(); // replays the big episode from storage
    await h.client.raiseEvent(id, "go", true);
    await revived.whenIdle(20_000);
    const status = await h.client.getStatus(id);
    const total = Array.from({ length: 30 }, (_, i) => `${i}:`.length + seedText.length).reduce(
      (a, b) => a + b,
    );
    expect(status.output).toEqual({ inputLength: input.length, total, first: "0:abcd" });
    const stored = status.input as string;
    expect({ length: stored.length, same: stored === input }).toEqual({ length: input.length, same: true });
  }, 30_000);
});
