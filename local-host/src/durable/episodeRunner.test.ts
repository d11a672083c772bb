import { runEpisode } from "./episodeRunner";
import { EventType, type HistoryEvent, taskCompleted, taskFailed, timerFired } from "./historyEvents";
import type { InstanceMeta } from "./instanceStore";
import { captureDurable } from "./testHarness";

/** Episodes driven by hand, to pin how sequence ids line up with the library when events arrive together. */
describe("runEpisode", () => {
  const shim = captureDurable((df) => {
    df.app.orchestration("mixed", function* (context) {
      const retried = context.df.callActivityWithRetry("flaky", new df.RetryOptions(10, 3));
      const plain = context.df.callActivity("plain");
      yield context.df.Task.any([retried, plain]);
      const after = (yield context.df.callActivity("after")) as string;
      const flaky = (yield retried) as string;
      return { after, flaky };
    });
  });
  const fn = shim.functions.get("mixed")!;
  const t0 = new Date("2025-01-01T00:00:00Z");
  const meta: InstanceMeta = {
    instanceId: "i",
    name: "mixed",
    executionId: "x",
    runtimeStatus: "Pending",
    createdTime: t0.toISOString(),
    lastUpdatedTime: t0.toISOString(),
    episodeCount: 0,
  };
  const failure = { Reason: "boom", Details: "" };
  const scheduled = (events: readonly HistoryEvent[]) =>
    events
      .filter((e) => e.EventType === EventType.TaskScheduled || e.EventType === EventType.TimerCreated)
      .map((e) => [e.EventId, e.Name ?? (e.RetryWait ? "retry-wait" : "timer")]);

  it("allocates retry follow-ups before tasks the same batch lets user code yield", async () => {
    const log = () => undefined;
    const e1 = await runEpisode({ shim, fn, meta, history: [], batch: [], now: t0, log });
    expect(scheduled(e1.work)).toEqual([
      [0, "flaky"],
      [1, "plain"],
    ]);
    // The plain result arrives before the retry failure; the library must still see the failure first.
    const batch2 = [taskCompleted(t0, 1, '"p"'), taskFailed(t0, 0, failure)];
    const e2 = await runEpisode({ shim, fn, meta: e1.meta, history: e1.events, batch: batch2, now: t0, log });
    expect(scheduled(e2.work)).toEqual([
      [2, "retry-wait"],
      [3, "after"],
    ]);
    const h2 = [...e1.events, ...e2.events];
    const batch3 = [taskCompleted(t0, 3, '"a"'), timerFired(t0, 2, t0.toISOString())];
    const e3 = await runEpisode({ shim, fn, meta: e2.meta, history: h2, batch: batch3, now: t0, log });
    expect(scheduled(e3.work)).toEqual([[4, "flaky"]]);
    expect(e3.work[0]?.Retry?.attempt).toBe(2);
    const h3 = [...h2, ...e3.events];
    const e4 = await runEpisode({
      shim,
      fn,
      meta: e3.meta,
      history: h3,
      batch: [taskCompleted(t0, 4, '"f"')],
      now: t0,
      log,
    });
    expect(e4.meta).toMatchObject({
      runtimeStatus: "Completed",
      output: JSON.stringify({ after: "a", flaky: "f" }),
    });
  });

  it("ignores a result that is already in history (an inbox row folded before a crash)", async () => {
    const log = () => undefined;
    const e1 = await runEpisode({ shim, fn, meta, history: [], batch: [], now: t0, log });
    const done = { ...taskCompleted(t0, 1, '"p"'), InboxKey: "k.1" };
    const e2 = await runEpisode({ shim, fn, meta: e1.meta, history: e1.events, batch: [done], now: t0, log });
    const again = await runEpisode({
      shim,
      fn,
      meta: e2.meta,
      history: [...e1.events, ...e2.events],
      batch: [done],
      now: t0,
      log,
    });
    expect(again.events.filter((e) => e.EventType === EventType.TaskCompleted)).toHaveLength(0);
    expect(again.foldedKeys).toEqual(["k.1"]);
    expect(again.work).toEqual([]);
  });
});
