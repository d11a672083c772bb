import { captureDurable, type Harness, startHarness } from "./testHarness";

/** Many activities and instances at once: the activity cap holds, and every instance finishes with its result. */
describe("durable runtime under concurrent work", () => {
  const CAP = 5;
  let peak = 0;
  let running = 0;
  const shim = captureDurable((df) => {
    df.app.activity("slow", {
      handler: async (n: unknown) => {
        running += 1;
        peak = Math.max(peak, running);
        // Long enough that every slot fills while the fan-out is queued.
        await new Promise((resolve) => setTimeout(resolve, 20));
        running -= 1;
        return Number(n) + 1;
      },
    });
    df.app.orchestration("wide", function* (context) {
      const n = context.df.getInput<number>();
      const results = (yield context.df.Task.all(
        Array.from({ length: n }, (_, i) => context.df.callActivity("slow", i)),
      )) as number[];
      return results.reduce((a, b) => a + b, 0);
    });
    df.app.orchestration("three", function* (context) {
      const a = (yield context.df.callActivity("slow", 1)) as number;
      const b = (yield context.df.callActivity("slow", a)) as number;
      return (yield context.df.callActivity("slow", b)) as number;
    });
  });

  let h: Harness;
  beforeEach(async () => {
    peak = 0;
    h = await startHarness(shim, { maxConcurrentActivities: CAP });
  });
  afterEach(() => h.close());

  it("fans one orchestration out to 60 activities, running exactly the cap at once", async () => {
    const id = await h.client.startNew("wide", { input: 60 });
    await h.runtime.whenIdle(30_000);
    expect((await h.client.getStatus(id)).output).toBe((60 * 61) / 2);
    // Equal, not just at most: the cap is reached (the work overlaps) and never exceeded.
    expect(peak).toBe(CAP);
  });

  it("runs 50 orchestrations of 3 chained activities each to their results", async () => {
    const ids = await Promise.all(Array.from({ length: 50 }, () => h.client.startNew("three")));
    await h.runtime.whenIdle(30_000);
    const statuses = await h.client.getStatusBy({});
    const done = statuses.filter((s) => ids.includes(s.instanceId) && s.output === 4);
    expect(done).toHaveLength(50);
    expect(peak).toBeLessThanOrEqual(CAP);
  });
});
