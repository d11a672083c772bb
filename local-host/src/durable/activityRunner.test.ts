import { type ActivityJob, ActivityRunner } from "./activityRunner";
import { type HistoryEvent } from "./historyEvents";
import { captureDurable } from "./testHarness";

// An outcome the runtime cannot record (storage unreachable) must not be dropped while the runtime runs: its
// orchestration would wait for it until a restart.

const waitUntil = async (condition: () => boolean, { what }: { what: string }): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const job: ActivityJob = { instanceId: "i1", executionId: "e1", taskId: 0, name: "notRegistered" };

const runnerWith = (onOutcome: (job: ActivityJob, event: HistoryEvent) => Promise<void>) => {
  const logs: string[] = [];
  const runner = new ActivityRunner(
    captureDurable(() => undefined),
    1,
    { now: () => new Date() },
    onOutcome,
    (message) => logs.push(message),
    () => undefined,
  );
  return { runner, logs };
};

describe("activity outcomes while storage is unreachable", () => {
  it("records the outcome once storage answers again, holding the slot meanwhile", async () => {
    let failures = 2;
    const recorded: HistoryEvent[] = [];
    const { runner, logs } = runnerWith((_job, event) => {
      if (failures-- > 0) return Promise.reject(new Error("connect ECONNREFUSED"));
      recorded.push(event);
      return Promise.resolve();
    });
    runner.enqueue(job);
    runner.enqueue({ ...job, taskId: 1 });
    await waitUntil(() => recorded.length === 2, { what: "both outcomes recorded" });
    expect(recorded.map((e) => e.TaskScheduledId)).toEqual([0, 1]);
    expect(logs.some((l) => l.includes("trying again"))).toBe(true);
    expect(runner.busy).toBe(0);
    await runner.stop(1000);
  });

  it("gives up on an unrecorded outcome only when stopped (it runs again after a restart)", async () => {
    let attempts = 0;
    const { runner, logs } = runnerWith(() => {
      attempts++;
      return Promise.reject(new Error("connect ECONNREFUSED"));
    });
    runner.enqueue(job);
    await waitUntil(() => attempts >= 2, { what: "a second attempt to record" });
    await runner.stop(10_000);
    expect(runner.busy).toBe(0);
    expect(logs.at(-1)).toContain("it runs again after a restart");
  });
});
