import { captureDurable, type Harness, startHarness } from "./testHarness";

/** Crash recovery: a new runtime over the same tables resumes every unfinished instance from storage. */
const HOUR = 3_600_000;
const T0 = Date.parse("2030-01-01T00:00:00Z");
const clockAt = (ms: number) => ({ now: () => new Date(ms) });

describe("durable runtime crash recovery", () => {
  let invocations = 0;
  let firstCallSeen: () => void = () => undefined;
  let firstCall = new Promise<void>((resolve) => (firstCallSeen = resolve));
  let finishFirst: (value: string) => void = () => undefined;

  const shim = captureDurable((df) => {
    df.app.activity("slow", {
      handler: (input: unknown) => {
        invocations += 1;
        if (invocations > 1) return `retry:${String(input)}`;
        firstCallSeen();
        return new Promise<string>((resolve) => (finishFirst = resolve));
      },
    });
    df.app.activity("double", { handler: (n: unknown) => Number(n) * 2 });
    df.app.orchestration("sleeper", function* (context) {
      context.df.setCustomStatus("sleeping");
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + HOUR));
      return "woke";
    });
    df.app.orchestration("resumable", function* (context) {
      const a = (yield context.df.callActivity("double", 4)) as number;
      const b = (yield context.df.callActivity("slow", "x")) as string;
      const c = (yield context.df.createTimer(
        new Date(context.df.currentUtcDateTime.getTime() + 50),
      )) as unknown;
      return { a, b, timer: c ?? null };
    });
  });

  let h: Harness;
  beforeEach(async () => {
    invocations = 0;
    firstCall = new Promise<void>((resolve) => (firstCallSeen = resolve));
    h = await startHarness(shim);
  });
  afterEach(() => h.close());

  it("re-sends an activity that never reported back and completes with the right output", async () => {
    const id = await h.client.startNew("resumable", { instanceId: "crashy" });
    await firstCall;
    // "Crash": drop the runtime without stop(); its activity never finishes.
    const revived = await h.restart();
    await revived.whenIdle(10_000);
    const status = await h.client.getStatus(id);
    expect(status).toMatchObject({ runtimeStatus: "Completed", output: { a: 8, b: "retry:x", timer: null } });
    expect(invocations).toBe(2);
  });

  it("folds a result that reached the inbox before the crash, without running the activity again", async () => {
    const id = await h.client.startNew("resumable", { instanceId: "inboxed" });
    await firstCall;
    // stop() runs no new episode but keeps the outcome of a running activity: it lands in the inbox only.
    const stopping = h.runtime.stop();
    finishFirst("first-run");
    await stopping;
    expect((await h.client.getStatus(id)).runtimeStatus).toBe("Running");
    const revived = await h.restart();
    await revived.whenIdle(10_000);
    expect((await h.client.getStatus(id)).output).toMatchObject({ a: 8, b: "first-run" });
    expect(invocations).toBe(1);
  });

  const untilSleeping = async (id: string) => {
    for (let i = 0; i < 200 && (await h.client.getStatus(id)).customStatus !== "sleeping"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it("fires a durable timer when the injected clock reaches its due time", async () => {
    let now = T0;
    const runtime = await h.restart({ clock: { now: () => new Date(now) } });
    const id = await h.client.startNew("sleeper");
    await untilSleeping(id);
    await expect(runtime.whenIdle(300)).rejects.toThrow(/unfinished/);
    now += HOUR;
    await runtime.whenIdle(5_000);
    expect((await h.client.getStatus(id)).output).toBe("woke");
  });

  it("re-arms a stored timer after a restart and fires it at once when past due", async () => {
    await h.restart({ clock: clockAt(T0) });
    const id = await h.client.startNew("sleeper");
    await untilSleeping(id);
    const revived = await h.restart({ clock: clockAt(T0 + 2 * HOUR) });
    await revived.whenIdle(5_000);
    const status = await h.client.getStatus(id);
    expect(status.output).toBe("woke");
    expect(status.lastUpdatedTime.getTime()).toBe(T0 + 2 * HOUR);
  });
});
