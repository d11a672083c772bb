import { captureDurable, type Harness, startHarness } from "./testHarness";

/** The bound on loaded instances: a backlog waits in storage, and instances that only wait give up their slot. */
const HOUR = 3_600_000;
const T0 = Date.parse("2030-01-01T00:00:00Z");

describe("durable runtime with a bound on loaded instances", () => {
  let h: Harness;
  let loadedSeen: number[] = [];
  let blocking = false;
  let started = 0;
  /** Activities wait for this before they report back, so a test decides when instances can finish. */
  let gate: Promise<void> = Promise.resolve();
  const shim = captureDurable((df) => {
    df.app.activity("observe", {
      handler: async (n: unknown) => {
        started += 1;
        loadedSeen.push(h.runtime.residents().loaded);
        if (blocking) await new Promise(() => undefined); // a run that never reports back (the runtime "crashes")
        await gate;
        return Number(n) * 2;
      },
    });
    df.app.orchestration("twoSteps", function* (context) {
      const a = (yield context.df.callActivity("observe", context.df.getInput<number>())) as number;
      return (yield context.df.callActivity("observe", a)) as number;
    });
    df.app.orchestration("waiter", function* (context) {
      return (yield context.df.waitForExternalEvent("go")) as unknown;
    });
    df.app.orchestration("sleeper", function* (context) {
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + HOUR));
      return "woke";
    });
    df.app.orchestration("parentOfTwo", function* (context) {
      const a = (yield context.df.callSubOrchestrator("twoSteps", 1)) as number;
      const b = (yield context.df.callSubOrchestrator("twoSteps", 2)) as number;
      return a + b;
    });
  });

  const start = (maxLoadedOrchestrations: number) => startHarness(shim, { maxLoadedOrchestrations });
  const waitUntil = async (condition: () => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error("condition not met in time");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  beforeEach(() => {
    loadedSeen = [];
    blocking = false;
    started = 0;
    gate = Promise.resolve();
  });
  afterEach(() => h.close());

  it("runs 200 instances with never more than 10 loaded at once, and completes them all", async () => {
    h = await start(10);
    let open = (): void => undefined;
    gate = new Promise((resolve) => (open = resolve));
    const ids = await Promise.all(
      Array.from({ length: 200 }, (_, i) => h.client.startNew("twoSteps", { input: i })),
    );
    // While the first ten wait for their activities, the backlog waits in storage.
    await waitUntil(() => h.runtime.residents().loaded === 10);
    expect(h.runtime.residents().unloaded).toBeGreaterThan(0);
    open();
    await h.runtime.whenIdle(30_000);
    const statuses = await h.client.getStatusBy({});
    const outputs = new Map(statuses.map((s) => [s.instanceId, s.output]));
    expect(ids.map((id) => outputs.get(id))).toEqual(ids.map((_, i) => i * 4));
    expect(h.runtime.residents().peakLoaded).toBe(10);
    expect(Math.max(...loadedSeen)).toBeLessThanOrEqual(10);
    expect(h.runtime.residents()).toMatchObject({ loaded: 0, unloaded: 0 });
  }, 30_000);

  it("lets instances that wait for events or timers give up their slot, and wakes them", async () => {
    let now = T0;
    h = await startHarness(shim, { maxLoadedOrchestrations: 2, clock: { now: () => new Date(now) } });
    const waiters = await Promise.all([1, 2, 3].map(() => h.client.startNew("waiter")));
    const sleeper = await h.client.startNew("sleeper");
    const quick = await h.client.startNew("twoSteps", { input: 5 });
    // Four instances wait, yet the fifth gets a slot and completes while at most two are loaded.
    await waitUntil(() => h.runtime.residents().loaded + h.runtime.residents().unloaded === 4);
    expect((await h.client.getStatus(quick)).output).toBe(20);
    await Promise.all(waiters.map((id, i) => h.client.raiseEvent(id, "go", i)));
    now += HOUR;
    await h.runtime.whenIdle(10_000);
    const outputs = await Promise.all(
      [...waiters, sleeper].map(async (id) => (await h.client.getStatus(id)).output),
    );
    expect(outputs).toEqual([0, 1, 2, "woke"]);
    expect(h.runtime.residents().peakLoaded).toBe(2);
  });

  it("fires the timer of an instance that is not loaded", async () => {
    let now = T0;
    h = await startHarness(shim, { maxLoadedOrchestrations: 1, clock: { now: () => new Date(now) } });
    const sleeper = await h.client.startNew("sleeper");
    const quick = await h.client.startNew("twoSteps", { input: 1 });
    await waitUntil(() => started === 2);
    await waitUntil(() => h.runtime.residents().loaded + h.runtime.residents().unloaded === 1);
    expect((await h.client.getStatus(quick)).output).toBe(4);
    expect(h.runtime.residents()).toMatchObject({ loaded: 0, unloaded: 1 }); // the sleeper gave up its slot
    now += HOUR;
    await h.runtime.whenIdle(10_000);
    expect((await h.client.getStatus(sleeper)).output).toBe("woke");
  });

  it("runs sub-orchestrations with a single slot: a parent that waits for a child gives it up", async () => {
    h = await start(1);
    const id = await h.client.startNew("parentOfTwo");
    await h.runtime.whenIdle(10_000);
    expect((await h.client.getStatus(id)).output).toBe(4 + 8);
    expect(h.runtime.residents().peakLoaded).toBe(1);
  });

  it("loses no queued instance in a crash, and resumes them within the bound", async () => {
    h = await start(2);
    blocking = true;
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h.client.startNew("twoSteps", { input: i })),
    );
    await waitUntil(() => started === 2 && h.runtime.residents().unloaded === 18);
    // "Crash": drop the runtime without stop(); its two activities never report back.
    blocking = false;
    loadedSeen = [];
    const revived = await h.restart();
    expect(revived.residents().loaded).toBeLessThanOrEqual(2); // queued on start, not all loaded at once
    await revived.whenIdle(20_000);
    const outputs = await Promise.all(ids.map(async (id) => (await h.client.getStatus(id)).output));
    expect(outputs).toEqual(ids.map((_, i) => i * 4));
    expect(revived.residents().peakLoaded).toBe(2);
    expect(Math.max(...loadedSeen)).toBeLessThanOrEqual(2);
  }, 30_000);
});
