import { captureDurable, type Harness, runToCompletion, startHarness } from "../durable/testHarness";

/**
 * durable-functions 3.5.0 replay contract, end to end: real captured registrations, the runtime's episodes and
 * sequence ids, Azurite tables (fresh per test), the real client. durable/actionPlan.ts depends on how the
 * library numbers tasks (every leaf action takes the next id; a RetryableTask takes one more per failed attempt
 * and per retry timer that fires with attempts left); durable/episodeRunner.ts on one call replaying a whole
 * history and on the isCanceled flag of a timer Task.any left behind. The pin and the library's shapes (enums,
 * binding info, OrchestratorState, failure label, client binding) are in durableFunctions.contract.test.ts.
 */
describe("durable-functions 3.5.0 replay contract, through the local runtime", () => {
  const calls = new Map<string, number>();
  const count = (key: string): number => {
    const n = (calls.get(key) ?? 0) + 1;
    calls.set(key, n);
    return n;
  };
  let release: () => void = () => undefined;
  let blocked = new Promise<void>((resolve) => (release = resolve));

  const shim = captureDurable((df) => {
    df.app.activity("double", { handler: (n: unknown) => Number(n) * 2 });
    df.app.activity("flaky", {
      handler: (key: unknown) => {
        if (count(String(key)) <= 2) throw new Error("transient failure");
        return "ok";
      },
    });
    df.app.activity("alwaysFails", {
      handler: (key: unknown) => {
        count(String(key));
        throw new Error("permanent failure");
      },
    });
    df.app.activity("failsUntil", {
      handler: (key: unknown) => {
        const k = String(key);
        if (count(k) <= Number(k.slice(1))) throw new Error(`not yet ${k}`);
        return k;
      },
    });
    df.app.activity("stamp", { handler: () => Date.now() });
    df.app.activity("blocked", { handler: async () => blocked.then(() => "late") });

    df.app.orchestration("fanOut", function* (context) {
      const n = context.df.getInput<number>();
      const tasks = Array.from({ length: n }, (_, i) => context.df.callActivity("double", i));
      const results = (yield context.df.Task.all(tasks)) as number[];
      return results.reduce((a, b) => a + b, 0);
    });
    df.app.orchestration("retrySucceeds", function* (context) {
      const options = new df.RetryOptions(30, 3);
      options.backoffCoefficient = 2;
      const result = (yield context.df.callActivityWithRetry(
        "flaky",
        options,
        context.df.getInput(),
      )) as string;
      const after = (yield context.df.callActivity("double", 21)) as number;
      return { result, after };
    });
    df.app.orchestration("retryExhausted", function* (context) {
      try {
        yield context.df.callActivityWithRetry(
          "alwaysFails",
          new df.RetryOptions(20, 2),
          context.df.getInput(),
        );
        return "not reached";
      } catch (error) {
        const after = (yield context.df.callActivity("double", 1)) as number;
        return { caught: (error as Error).message, after };
      }
    });
    df.app.orchestration("retriesInParallel", function* (context) {
      const options = new df.RetryOptions(10, 4);
      const keys = ["p0", "p1", "p2", "p3"];
      const tasks = keys.map((k) => context.df.callActivityWithRetry("failsUntil", options, k));
      const results = (yield context.df.Task.all(tasks)) as string[];
      const last = (yield context.df.callActivity("double", results.length)) as number;
      return { results, last };
    });
    df.app.orchestration("timerThenActivity", function* (context) {
      const due = new Date(context.df.currentUtcDateTime.getTime() + 150);
      yield context.df.createTimer(due);
      const stampedAt = (yield context.df.callActivity("stamp")) as number;
      return { due: due.getTime(), stampedAt };
    });
    df.app.orchestration("raceTimerActivity", function* (context) {
      const { timerMs, activity } = context.df.getInput<{ timerMs: number; activity: string }>();
      const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + timerMs));
      const work = context.df.callActivity(activity, 5);
      const winner = yield context.df.Task.any([timer, work]);
      if (winner === work) {
        timer.cancel();
        return { winner: "activity", value: work.result };
      }
      return { winner: "timer" };
    });
  });

  let h: Harness;
  beforeEach(async () => {
    calls.clear();
    blocked = new Promise<void>((resolve) => (release = resolve));
    h = await startHarness(shim);
  });
  afterEach(async () => {
    release();
    await h.close();
  });

  it("fans out N activities with Task.all and folds their results in order", async () => {
    const status = await runToCompletion(h, "fanOut", 40);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toBe(2 * ((40 * 39) / 2));
  });

  it("retries an activity that fails twice, then goes on with the next activity", async () => {
    const status = await runToCompletion(h, "retrySucceeds", "k1");
    expect(status.output).toEqual({ result: "ok", after: 42 });
    expect(calls.get("k1")).toBe(3);
  });

  it("surfaces exhausted retries as an error the orchestrator catches", async () => {
    const status = await runToCompletion(h, "retryExhausted", "k2");
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toMatchObject({ after: 2 });
    expect((status.output as { caught: string }).caught).toContain("permanent failure");
    expect(calls.get("k2")).toBe(2);
  });

  it("keeps sequence ids aligned when retried activities in one Task.all fail different numbers of times", async () => {
    const status = await runToCompletion(h, "retriesInParallel");
    expect(status.output).toEqual({ results: ["p0", "p1", "p2", "p3"], last: 8 });
    expect(["p0", "p1", "p2", "p3"].map((k) => calls.get(k))).toEqual([1, 2, 3, 4]);
  });

  it("waits for a durable timer before the next activity", async () => {
    const status = await runToCompletion(h, "timerThenActivity");
    const { due, stampedAt } = status.output as { due: number; stampedAt: number };
    expect(stampedAt).toBeGreaterThanOrEqual(due);
  });

  it("resolves Task.any with the activity when it beats the timer", async () => {
    const status = await runToCompletion(h, "raceTimerActivity", { timerMs: 3_600_000, activity: "double" });
    expect(status.output).toEqual({ winner: "activity", value: 10 });
  });

  it("resolves Task.any with the timer when the activity is slower", async () => {
    const status = await runToCompletion(h, "raceTimerActivity", { timerMs: 100, activity: "blocked" });
    expect(status.output).toEqual({ winner: "timer" });
  });
});
