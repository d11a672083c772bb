import { captureDurable, type Harness, startHarness } from "./testHarness";

/** Throughput on this machine (printed, not asserted beyond completion): Azurite tables, loopback client. */
describe("durable runtime throughput", () => {
  let peak = 0;
  let running = 0;
  const shim = captureDurable((df) => {
    df.app.activity("trivial", {
      handler: async (n: unknown) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
        return Number(n) + 1;
      },
    });
    df.app.orchestration("wide", function* (context) {
      const n = context.df.getInput<number>();
      const results = (yield context.df.Task.all(
        Array.from({ length: n }, (_, i) => context.df.callActivity("trivial", i)),
      )) as number[];
      return results.reduce((a, b) => a + b, 0);
    });
    df.app.orchestration("three", function* (context) {
      const a = (yield context.df.callActivity("trivial", 1)) as number;
      const b = (yield context.df.callActivity("trivial", a)) as number;
      return (yield context.df.callActivity("trivial", b)) as number;
    });
  });

  let h: Harness;
  beforeEach(async () => {
    peak = 0;
    h = await startHarness(shim, { maxConcurrentActivities: 20 });
  });
  afterEach(() => h.close());

  it("fans one orchestration out to 1,000 activities within the concurrency cap", async () => {
    const started = performance.now();
    const id = await h.client.startNew("wide", { input: 1000 });
    await h.runtime.whenIdle(60_000);
    const ms = performance.now() - started;
    const status = await h.client.getStatus(id);
    expect(status.output).toBe((1000 * 1001) / 2);
    expect(peak).toBeLessThanOrEqual(20);
    console.log(
      `1 orchestration x 1,000 activities: ${ms.toFixed(0)} ms (${((1000 / ms) * 1000).toFixed(0)} activities/s)`,
    );
  }, 60_000);

  it("runs 200 small orchestrations of 3 activities each", async () => {
    const started = performance.now();
    const ids = await Promise.all(Array.from({ length: 200 }, () => h.client.startNew("three")));
    await h.runtime.whenIdle(60_000);
    const ms = performance.now() - started;
    const statuses = await h.client.getStatusBy({});
    expect(statuses.filter((s) => ids.includes(s.instanceId) && s.output === 4)).toHaveLength(200);
    console.log(
      `200 orchestrations x 3 activities: ${ms.toFixed(0)} ms (${((200 / ms) * 1000).toFixed(0)} orchestrations/s)`,
    );
  }, 60_000);
});
