import { captureDurable, type Harness, startHarness } from "functions-local-host/testing";

import { type Delivery } from "../../domain/deliveryPlan";
import {
  type DeadLetterRequest,
  type DeliveryReport,
  type DispatchInput,
  type PendingDelivery,
} from "../../domain/dispatch";
import {
  DEAD_LETTER_ACTIVITY,
  DELIVER_ACTIVITY,
  DISPATCH_ORCHESTRATOR,
  dispatchOrchestrator,
  PLAN_ACTIVITY,
} from "./dispatchOrchestrator";

/**
 * The integration check: the real dispatch orchestrator, replayed by durable-functions' own engine through the
 * local durable runtime (histories of TaskScheduled/TaskCompleted/TaskFailed/TimerCreated/TimerFired in
 * Azurite), with scripted fakes of our own activities for failure injection. It needs Azurite (the jest
 * globalSetup starts it). The orchestrator's decisions are unit-tested without storage or host, from fixture
 * histories, in dispatchOrchestrator.test.ts.
 */
const at = "2026-01-01T00:00:00.000Z";
const delivery = (id: string, webhookId = "wh1"): Delivery => ({
  id,
  eventId: "0:1",
  webhookId,
  message: { name: "ping", payload: {} },
});

let script: (chunk: ReadonlyArray<PendingDelivery>, call: number) => DeliveryReport[] = () => [];
let deliverCalls: Array<ReadonlyArray<string>> = [];
let deadLettered: DeadLetterRequest[][] = [];
let planned: Delivery[] = [];
/** When set, the plan fake behaves like the real plan activity's fast path: it delivers a small plan itself. */
let planDelivers = false;
let planInputs: Array<{ deliverUpTo?: number }> = [];
let planDeliveredCalls: Array<ReadonlyArray<string>> = [];

const shim = captureDurable((df) => {
  df.app.orchestration(DISPATCH_ORCHESTRATOR, dispatchOrchestrator);
  df.app.activity(PLAN_ACTIVITY, {
    handler: (input: unknown) => {
      const { deliverUpTo } = input as { deliverUpTo?: number };
      planInputs.push({ ...(deliverUpTo === undefined ? {} : { deliverUpTo }) });
      if (!planDelivers) return planned;
      if (deliverUpTo === undefined || planned.length > deliverUpTo) return { deliveries: planned };
      const pending = planned.map((d) => ({ delivery: d, attempts: 0 }));
      planDeliveredCalls.push(pending.map((p) => p.delivery.id));
      return { deliveries: planned, reports: script(pending, planDeliveredCalls.length) };
    },
  });
  df.app.activity(DELIVER_ACTIVITY, {
    handler: (chunk: unknown) => {
      const pending = chunk as PendingDelivery[];
      deliverCalls.push(pending.map((p) => p.delivery.id));
      return script(pending, deliverCalls.length);
    },
  });
  df.app.activity(DEAD_LETTER_ACTIVITY, {
    handler: (requests: unknown) => {
      deadLettered.push(requests as DeadLetterRequest[]);
      return (requests as DeadLetterRequest[]).length;
    },
  });
});

const delivered = (p: PendingDelivery): DeliveryReport => ({
  deliveryId: p.delivery.id,
  at,
  outcome: { kind: "delivered", status: 200 },
});
const failing = (p: PendingDelivery): DeliveryReport => ({
  deliveryId: p.delivery.id,
  at,
  outcome: { kind: "retryable", status: 503 },
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness(shim);
});
afterAll(() => h.close());
beforeEach(() => {
  deliverCalls = [];
  deadLettered = [];
  planned = [];
  planDelivers = false;
  planInputs = [];
  planDeliveredCalls = [];
});

const run = async (input: DispatchInput) => {
  const id = await h.client.startNew(DISPATCH_ORCHESTRATOR, { input });
  await h.runtime.whenIdle(20_000);
  return h.client.getStatus(id);
};
const events = (schedule: number[], chunkSize = 2): DispatchInput => ({
  kind: "events",
  events: [{ eventId: "0:1", event: { name: "ping:all" } }],
  settings: { chunkSize, retrySchedule: schedule },
});

describe("dispatch orchestrator (replayed by durable-functions through the local runtime)", () => {
  it("delivers everything planned, in chunks, once", async () => {
    planned = [delivery("a"), delivery("b"), delivery("c")];
    script = (chunk) => chunk.map(delivered);
    const status = await run(events([0, 10]));
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({ planned: 3, delivered: 3, retried: 0, deadLettered: 0, dropped: 0 });
    expect(deliverCalls.map((c) => [...c].sort())).toEqual([["a", "b"], ["c"]]);
    expect(deadLettered).toEqual([]);
  });

  it("retries only the failed deliveries after a durable timer, with the same delivery ids", async () => {
    planned = [delivery("ok"), delivery("flaky")];
    script = (chunk, call) =>
      chunk.map((p) => (p.delivery.id === "flaky" && call === 1 ? failing(p) : delivered(p)));
    const status = await run(events([0, 50, 50], 10));
    expect(status.output).toEqual({ planned: 2, delivered: 2, retried: 1, deadLettered: 0, dropped: 0 });
    expect(deliverCalls).toEqual([["ok", "flaky"], ["flaky"]]);
  });

  it("dead-letters what is still failing when the schedule is exhausted, without holding back the rest", async () => {
    planned = [delivery("good"), delivery("down", "wh2")];
    script = (chunk) => chunk.map((p) => (p.delivery.id === "down" ? failing(p) : delivered(p)));
    const status = await run(events([0, 20, 20], 10));
    expect(status.output).toEqual({ planned: 2, delivered: 1, retried: 2, deadLettered: 1, dropped: 0 });
    expect(deliverCalls).toEqual([["good", "down"], ["down"], ["down"]]);
    expect(deadLettered).toHaveLength(1);
    expect(deadLettered[0]?.[0]).toMatchObject({
      reason: "retries exhausted",
      pending: { delivery: { id: "down" }, attempts: 3, last: { kind: "retryable", status: 503 } },
    });
  });

  it("dead-letters a 410 at once as gone, and a 404 as permanent, without retrying them", async () => {
    planned = [delivery("gone"), delivery("missing")];
    script = (chunk) =>
      chunk.map((p) => ({
        deliveryId: p.delivery.id,
        at,
        outcome:
          p.delivery.id === "gone"
            ? { kind: "permanent", status: 410, gone: true }
            : { kind: "permanent", status: 404, gone: false },
      }));
    const status = await run(events([0, 20, 20], 10));
    expect(status.output).toMatchObject({ delivered: 0, retried: 0, deadLettered: 2 });
    expect(deliverCalls).toHaveLength(1);
    expect(deadLettered[0]?.map((r) => [r.pending.delivery.id, r.reason])).toEqual([
      ["gone", "receiver answered 410 Gone"],
      ["missing", "permanent failure"],
    ]);
  });

  it("survives a chunk activity that fails once (activity retry), keeping the other chunk's result", async () => {
    planned = [delivery("a"), delivery("b")];
    let thrown = false;
    script = (chunk) => {
      if (chunk[0]?.delivery.id === "b" && !thrown) {
        thrown = true;
        throw new Error("storage hiccup");
      }
      return chunk.map(delivered);
    };
    const status = await run(events([0, 10], 1));
    expect(status.output).toEqual({ planned: 2, delivered: 2, retried: 0, deadLettered: 0, dropped: 0 });
    expect(deliverCalls.filter((c) => c[0] === "a")).toHaveLength(1);
    expect(deliverCalls.filter((c) => c[0] === "b")).toHaveLength(2);
  });

  it("takes the first round from a plan activity that delivered a small plan itself, retrying only failures", async () => {
    planDelivers = true;
    planned = [delivery("ok"), delivery("flaky")];
    let flakyFailed = false;
    script = (chunk) =>
      chunk.map((p) => {
        if (p.delivery.id !== "flaky" || flakyFailed) return delivered(p);
        flakyFailed = true;
        return failing(p);
      });
    const status = await run(events([0, 50, 50], 10));
    expect(planInputs).toEqual([{ deliverUpTo: 10 }]);
    expect(planDeliveredCalls).toEqual([["ok", "flaky"]]);
    expect(deliverCalls).toEqual([["flaky"]]);
    expect(status.output).toEqual({ planned: 2, delivered: 2, retried: 1, deadLettered: 0, dropped: 0 });
  });

  it("asks for no fast path when the schedule's first attempt waits, and delivers in chunks after the wait", async () => {
    planDelivers = true;
    planned = [delivery("a")];
    script = (chunk) => chunk.map(delivered);
    const status = await run(events([30, 10], 10));
    expect(planInputs).toEqual([{}]);
    expect(planDeliveredCalls).toEqual([]);
    expect(deliverCalls).toEqual([["a"]]);
    expect(status.output).toMatchObject({ planned: 1, delivered: 1, retried: 0 });
  });

  it("delivers pre-planned deliveries (ping, replay) without planning", async () => {
    script = (chunk) => chunk.map(delivered);
    const status = await run({
      kind: "deliveries",
      reason: "replay",
      deliveries: [delivery("replayed")],
      settings: { chunkSize: 50, retrySchedule: [0] },
    });
    expect(status.output).toMatchObject({ planned: 1, delivered: 1 });
    expect(deliverCalls).toEqual([["replayed"]]);
  });

  it("fails loudly on an input it cannot read", async () => {
    const status = await run({ kind: "nonsense" } as unknown as DispatchInput);
    expect(status.runtimeStatus).toBe("Failed");
  });
});
