import { captureDurable, type Harness, startHarness } from "./testHarness";
import { waitForCompletion } from "./testWait";

/** callSubOrchestratorWithRetry: failed children are started again per RetryOptions, with the library's ids. */
describe("sub-orchestrations with retry", () => {
  const runs = new Map<string, number>();
  const shim = captureDurable((df) => {
    df.app.activity("countRun", {
      handler: (key: unknown) => {
        const n = (runs.get(String(key)) ?? 0) + 1;
        runs.set(String(key), n);
        return n;
      },
    });
    df.app.activity("double", { handler: (n: unknown) => Number(n) * 2 });
    // Fails until it has run `succeedOn` times for its key.
    df.app.orchestration("flakyChild", function* (context) {
      const { key, succeedOn } = context.df.getInput<{ key: string; succeedOn: number }>();
      const run = (yield context.df.callActivity("countRun", key)) as number;
      if (run < succeedOn) throw new Error(`child run ${run} broke`);
      return run;
    });
    df.app.orchestration("retryingParent", function* (context) {
      const input = context.df.getInput<{ key: string; succeedOn: number; childId?: string }>();
      const retry = new df.RetryOptions(20, 3);
      let outcome: unknown;
      try {
        outcome = yield context.df.callSubOrchestratorWithRetry("flakyChild", retry, input, input.childId);
      } catch (error) {
        outcome = (error as Error).message;
      }
      // Ids after the retries must still match the library's numbering, or this never completes.
      const after = (yield context.df.callActivity("double", 21)) as number;
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 10));
      return { outcome, after };
    });
  });

  let h: Harness;
  beforeEach(async () => {
    runs.clear();
    h = await startHarness(shim);
  });
  afterEach(() => h.close());

  it("starts a failed child again until it succeeds, each attempt under its own default instance id", async () => {
    const id = await h.client.startNew("retryingParent", { input: { key: "a", succeedOn: 3 } });
    const done = await waitForCompletion(h, id);
    expect(done).toEqual({ status: 200, body: { outcome: 3, after: 42 } });
    // Attempts take ids 0, 2 and 4 (each failure takes one more for its wait timer).
    const children = (await h.client.getStatusAll()).filter((s) => s.name === "flakyChild");
    expect(children.map((s) => [s.instanceId, s.runtimeStatus]).sort()).toEqual([
      [`${id}:0000`, "Failed"],
      [`${id}:0002`, "Failed"],
      [`${id}:0004`, "Completed"],
    ]);
  });

  it("surfaces the last failure once the attempts are used up, reusing a given child id", async () => {
    const input = { key: "b", succeedOn: 99, childId: "fixed-child" };
    const id = await h.client.startNew("retryingParent", { input });
    const done = await waitForCompletion(h, id);
    expect(done.status).toBe(200);
    const body = done.body as { outcome: string; after: number };
    expect(body.after).toBe(42);
    expect(body.outcome).toContain("child run 3 broke");
    expect(runs.get("b")).toBe(3);
    const child = await h.client.getStatus("fixed-child");
    expect({ status: child.runtimeStatus, input: child.input }).toEqual({ status: "Failed", input });
  });
});
