import { orchestrationHistory, replay } from "../../test-support/orchestrationHistory";
import { RECOVER_PAGE_ACTIVITY, RECOVERY_ORCHESTRATOR, type RecoveryProgress } from "./recovery";
import { recoveryOrchestrator } from "./recoveryOrchestrator";

/** The recovery orchestrator's decisions: fixture histories replayed by durable-functions' own engine. */

const T0 = new Date("2026-03-02T09:00:00.000Z");
const input: RecoveryProgress = {
  recoveryId: "r1",
  webhookId: "wh1",
  since: "2026-03-01T00:00:00.000Z",
  startedAt: "2026-03-02T09:00:00.000Z",
  count: 3,
  found: 0,
  handedOver: 0,
};
const window = { webhookId: "wh1", since: input.since, until: input.startedAt };
const started = () =>
  orchestrationHistory({ instanceId: "recover:wh1:r1", input, startedAt: T0, name: RECOVERY_ORCHESTRATOR });

describe("recovery orchestrator decisions (fixture histories replayed by durable-functions)", () => {
  it("asks for the window's first page, retried 5 times 5 s apart doubling, its progress as custom status", async () => {
    const result = await replay(recoveryOrchestrator, started());
    expect(result.isDone).toBe(false);
    expect(result.customStatus).toEqual(input);
    expect(result.decisions).toEqual([
      {
        kind: "activity",
        name: RECOVER_PAGE_ACTIVITY,
        input: window,
        retry: { firstRetryIntervalInMilliseconds: 5000, maxNumberOfAttempts: 5, backoffCoefficient: 2 },
      },
    ]);
  });

  it("asks for the next page after the last one's last delivery id, with the counts added", async () => {
    const h = started();
    const page = h.activityScheduled(RECOVER_PAGE_ACTIVITY, window);
    h.episodeAfter(100).activityCompleted(page, { found: 2, handedOver: 2, next: "msg_b" });
    const result = await replay(recoveryOrchestrator, h);
    expect(result.decisions).toMatchObject([
      { name: RECOVER_PAGE_ACTIVITY, input: { ...window, after: "msg_b" } },
    ]);
    expect(result.customStatus).toEqual({ ...input, found: 2, handedOver: 2, after: "msg_b" });
  });

  it("completes with the totals and the finish time once a page says the window is done", async () => {
    const h = started();
    const first = h.activityScheduled(RECOVER_PAGE_ACTIVITY, window);
    h.episodeAfter(100).activityCompleted(first, { found: 2, handedOver: 2, next: "msg_b" });
    const second = h.activityScheduled(RECOVER_PAGE_ACTIVITY, { ...window, after: "msg_b" });
    h.episodeAfter(100).activityCompleted(second, { found: 1, handedOver: 1 });
    const result = await replay(recoveryOrchestrator, h);
    expect(result.isDone).toBe(true);
    expect(result.output).toEqual({
      ...input,
      found: 3,
      handedOver: 3,
      outcome: "completed",
      finishedAt: h.now.toISOString(),
    });
  });

  it("fails with the page's reason when the webhook was deleted or disabled on the way", async () => {
    const h = started();
    const page = h.activityScheduled(RECOVER_PAGE_ACTIVITY, window);
    h.episodeAfter(100).activityCompleted(page, {
      found: 0,
      handedOver: 0,
      stopped: "the webhook is disabled",
    });
    const result = await replay(recoveryOrchestrator, h);
    expect(result.output).toMatchObject({
      outcome: "failed",
      reason: "the webhook is disabled",
      handedOver: 0,
    });
  });
});
