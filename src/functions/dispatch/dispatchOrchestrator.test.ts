import * as fc from "fast-check";

import { type Delivery } from "../../domain/deliveryPlan";
import {
  type DeadLetterRequest,
  type DeliveryReport,
  type DispatchInput,
  type DispatchSettings,
  type PendingDelivery,
  type PlanResult,
  seededRandom,
} from "../../domain/dispatch";
import { nextAttemptDelay } from "../../domain/retryPolicy";
import {
  type Decision,
  type OrchestrationHistory,
  orchestrationHistory,
  replay,
} from "../../test-support/orchestrationHistory";
import {
  DEAD_LETTER_ACTIVITY,
  DELIVER_ACTIVITY,
  DISPATCH_ORCHESTRATOR,
  dispatchOrchestrator,
  PLAN_ACTIVITY,
} from "./dispatchOrchestrator";

/**
 * Unit tests of the dispatch orchestrator's decisions: fixture histories (durable-functions' HistoryEvent
 * classes) replayed by durable-functions' own replay engine, asserting on the OrchestratorState it returns —
 * which activities and timers the orchestrator asks for, whether it is done, its output. No storage, no host;
 * the integration check through the local durable backend is dispatchOrchestrator.backend.test.ts.
 */

const INSTANCE = "dispatch-0-42";
const T0 = new Date("2026-03-02T09:00:00.000Z");
const ms = (from: Date, delta: number): Date => new Date(from.getTime() + delta);

/** Failure policy of the orchestrator's activities: 3 attempts, 2 s apart, doubling. */
const ACTIVITY_RETRY = {
  firstRetryIntervalInMilliseconds: 2000,
  maxNumberOfAttempts: 3,
  backoffCoefficient: 2,
};

const delivery = (id: string, webhookId = "wh1"): Delivery => ({
  id,
  eventId: "0:1",
  webhookId,
  message: { name: "ping", payload: {} },
});
const fresh = (d: Delivery): PendingDelivery => ({ delivery: d, attempts: 0 });
const delivered = (d: Delivery, at: Date): DeliveryReport => ({
  deliveryId: d.id,
  at: at.toISOString(),
  outcome: { kind: "delivered", status: 200 },
});
const unavailable = (d: Delivery, at: Date, retryAfterMs?: number): DeliveryReport => ({
  deliveryId: d.id,
  at: at.toISOString(),
  outcome: { kind: "retryable", status: 503, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
});

/** A delivery after one 503 at `at`, as the orchestrator hands it to the next round. */
const failedOnce = (d: Delivery, at: Date): PendingDelivery => ({
  delivery: d,
  attempts: 1,
  firstAttemptAt: at.toISOString(),
  last: { kind: "retryable", status: 503 },
});

const settings = (chunkSize: number, retrySchedule: number[]): DispatchSettings => ({
  chunkSize,
  retrySchedule,
});
const EVENTS = [{ eventId: "0:1", event: { name: "ping:all" as const } }];
const eventsInput = (s: DispatchSettings): DispatchInput => ({ kind: "events", events: EVENTS, settings: s });
const deliveriesInput = (deliveries: Delivery[], s: DispatchSettings): DispatchInput => ({
  kind: "deliveries",
  reason: "replay",
  deliveries,
  settings: s,
});
const started = (input: DispatchInput, instanceId = INSTANCE): OrchestrationHistory =>
  orchestrationHistory({ instanceId, input, startedAt: T0, name: DISPATCH_ORCHESTRATOR });

/** A history in which the plan activity returned `output` at `at` (its input as the orchestrator asks). */
const planned = (s: DispatchSettings, output: unknown, at = ms(T0, 200)): OrchestrationHistory => {
  const h = started(eventsInput(s));
  const planInput =
    s.retrySchedule[0] === 0 ? { events: EVENTS, deliverUpTo: s.chunkSize } : { events: EVENTS };
  const plan = h.activityScheduled(PLAN_ACTIVITY, planInput);
  h.episodeAt(at).activityCompleted(plan, output);
  return h;
};

const activity = (name: string, input: unknown): Decision => ({
  kind: "activity",
  name,
  input,
  retry: ACTIVITY_RETRY,
});
const deliver = (chunk: ReadonlyArray<PendingDelivery>): Decision => activity(DELIVER_ACTIVITY, chunk);
const timerAt = (fireAt: Date): Decision => ({ kind: "timer", fireAt: fireAt.toISOString() });

/** The wait before round `round`, as the retry policy computes it with the orchestrator's seed. */
const policyDelay = (
  round: number,
  schedule: ReadonlyArray<number>,
  retryAfterMs?: number,
  instanceId = INSTANCE,
): number | undefined =>
  nextAttemptDelay({
    attempt: round,
    schedule,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    random: seededRandom(`${instanceId}:${round}`),
  });
const policyFireAt = (
  from: Date,
  round: number,
  schedule: ReadonlyArray<number>,
  retryAfterMs?: number,
): Date => {
  const delay = policyDelay(round, schedule, retryAfterMs);
  if (delay === undefined) throw new Error(`the schedule has no round ${round}`);
  return ms(from, delay);
};

describe("dispatch orchestrator decisions (fixture histories replayed by durable-functions)", () => {
  describe("chunks per round", () => {
    it("asks the plan activity to deliver up to one chunk itself when the first attempt is immediate", async () => {
      const result = await replay(dispatchOrchestrator, started(eventsInput(settings(2, [0, 5000]))));
      expect(result.isDone).toBe(false);
      expect(result.decisions).toEqual([activity(PLAN_ACTIVITY, { events: EVENTS, deliverUpTo: 2 })]);
    });

    it("asks the plan activity for the plan alone when the first attempt waits", async () => {
      const result = await replay(dispatchOrchestrator, started(eventsInput(settings(2, [30_000, 5000]))));
      expect(result.decisions).toEqual([activity(PLAN_ACTIVITY, { events: EVENTS })]);
    });

    it("calls its activities with 3 attempts, 2 s apart, doubling (the activity failure policy)", async () => {
      const result = await replay(dispatchOrchestrator, started(eventsInput(settings(2, [0]))));
      expect(result.decisions.map((d) => (d.kind === "activity" ? d.retry : undefined))).toEqual([
        { firstRetryIntervalInMilliseconds: 2000, maxNumberOfAttempts: 3, backoffCoefficient: 2 },
      ]);
    });

    it("makes ceil(N / chunk size) deliver activities in the first round, each the next chunk of the plan", async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 8 }), async (n, size) => {
          const deliveries = Array.from({ length: n }, (_, i) => delivery(`d${i}`, `wh${i % 3}`));
          const result = await replay(
            dispatchOrchestrator,
            planned(settings(size, [0, 5000]), { deliveries } satisfies PlanResult),
          );
          expect(result.decisions).toHaveLength(Math.ceil(n / size));
          expect(result.decisions.every((d) => d.kind === "activity" && d.name === DELIVER_ACTIVITY)).toBe(
            true,
          );
          const chunks = result.decisions.map((d) =>
            d.kind === "activity" ? (d.input as PendingDelivery[]) : [],
          );
          expect(chunks.slice(0, -1).every((c) => c.length === size)).toBe(true);
          expect(chunks.at(-1)?.length).toBe(n - size * (chunks.length - 1));
          expect(chunks.flat()).toEqual(deliveries.map(fresh));
        }),
        { numRuns: 60 },
      );
    });

    it("delivers five planned deliveries with chunk size 2 as [a, b], [c, d], [e], all in the first round", async () => {
      const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map((id) => delivery(id)) as [
        Delivery,
        Delivery,
        Delivery,
        Delivery,
        Delivery,
      ];
      const result = await replay(
        dispatchOrchestrator,
        planned(settings(2, [0, 5000]), { deliveries: [a, b, c, d, e] } satisfies PlanResult),
      );
      expect(result.decisions).toEqual([
        deliver([fresh(a), fresh(b)]),
        deliver([fresh(c), fresh(d)]),
        deliver([fresh(e)]),
      ]);
      expect(result.isDone).toBe(false);
    });

    it("takes the first round from the plan activity's reports when it delivered a small plan itself, and finishes", async () => {
      const [a, b] = [delivery("a"), delivery("b")];
      const at = ms(T0, 300);
      const output: PlanResult = { deliveries: [a, b], reports: [delivered(a, at), delivered(b, at)] };
      const result = await replay(dispatchOrchestrator, planned(settings(2, [0, 5000]), output, at));
      expect(result.decisions).toEqual([]);
      expect(result.actions.map((d) => (d.kind === "activity" ? d.name : d.kind))).toEqual([PLAN_ACTIVITY]);
      expect(result.isDone).toBe(true);
      expect(result.output).toEqual({ planned: 2, delivered: 2, retried: 0, deadLettered: 0, dropped: 0 });
    });

    it("after a fast-path round, waits the round-1 timer and retries only what the plan activity reported failed", async () => {
      const [a, b] = [delivery("a"), delivery("b")];
      const schedule = [0, 5000];
      const at = ms(T0, 300);
      const output: PlanResult = { deliveries: [a, b], reports: [delivered(a, at), unavailable(b, at)] };
      const h = planned(settings(2, schedule), output, at);
      const fireAt = policyFireAt(at, 1, schedule);
      expect((await replay(dispatchOrchestrator, h)).decisions).toEqual([timerAt(fireAt)]);

      h.timerFires(h.timerCreated(fireAt));
      expect((await replay(dispatchOrchestrator, h)).decisions).toEqual([
        deliver([
          {
            delivery: b,
            attempts: 1,
            firstAttemptAt: at.toISOString(),
            last: { kind: "retryable", status: 503 },
          },
        ]),
      ]);
    });

    it("continues an ingest's first round: no plan, retries only what it handed over, counts what it settled", async () => {
      const b = delivery("b");
      const schedule = [0, 5000];
      const at = ms(T0, -50);
      const input: DispatchInput = {
        kind: "rest",
        deliveries: [b],
        reports: [unavailable(b, at)],
        counted: { planned: 3, delivered: 1, dropped: 1 },
        settings: settings(2, schedule),
      };
      const h = started(input);
      const fireAt = policyFireAt(T0, 1, schedule);
      expect((await replay(dispatchOrchestrator, h)).decisions).toEqual([timerAt(fireAt)]);
      h.timerFires(h.timerCreated(fireAt));
      const retried = failedOnce(b, at);
      expect((await replay(dispatchOrchestrator, h)).decisions).toEqual([deliver([retried])]);
      h.episodeAt(ms(fireAt, 100)).activityCompleted(h.activityScheduled(DELIVER_ACTIVITY, [retried]), [
        delivered(b, ms(fireAt, 80)),
      ]);
      const done = await replay(dispatchOrchestrator, h);
      expect(done.isDone).toBe(true);
      expect(done.output).toEqual({ planned: 3, delivered: 2, retried: 1, deadLettered: 0, dropped: 1 });
    });

    it("when the first attempt waits, waits the jittered first delay after planning, then delivers in chunks", async () => {
      const [a, b] = [delivery("a"), delivery("b")];
      const schedule = [30_000, 5000];
      const at = ms(T0, 250);
      const h = planned(settings(1, schedule), { deliveries: [a, b] } satisfies PlanResult, at);
      const fireAt = policyFireAt(at, 0, schedule);
      expect((await replay(dispatchOrchestrator, h)).decisions).toEqual([timerAt(fireAt)]);

      h.timerFires(h.timerCreated(fireAt));
      expect((await replay(dispatchOrchestrator, h)).decisions).toEqual([
        deliver([fresh(a)]),
        deliver([fresh(b)]),
      ]);
    });

    it("reads a plan output written before the fast path (a bare Delivery[]) and delivers it in chunks", async () => {
      const [a, b, c] = [delivery("a"), delivery("b"), delivery("c")];
      const result = await replay(dispatchOrchestrator, planned(settings(2, [0]), [a, b, c]));
      expect(result.decisions).toEqual([deliver([fresh(a), fresh(b)]), deliver([fresh(c)])]);
    });

    it("delivers pre-planned deliveries (ping, replay) in chunks at once, without a plan activity", async () => {
      const [a, b, c] = [delivery("a"), delivery("b"), delivery("c")];
      const result = await replay(
        dispatchOrchestrator,
        started(deliveriesInput([a, b, c], settings(2, [0]))),
      );
      expect(result.decisions).toEqual([deliver([fresh(a), fresh(b)]), deliver([fresh(c)])]);
    });
  });

  describe("retry timers", () => {
    const schedule = [0, 5000, 30_000];
    const [a, b] = [delivery("a"), delivery("b")];
    const T1 = ms(T0, 350);
    /** Round 0 of a replay of [a, b] in one chunk, reported at T1. */
    const roundZero = (
      reports: (at: Date) => DeliveryReport[],
      instanceId = INSTANCE,
    ): OrchestrationHistory => {
      const h = started(deliveriesInput([a, b], settings(10, schedule)), instanceId);
      const chunk = h.activityScheduled(DELIVER_ACTIVITY, [fresh(a), fresh(b)]);
      h.episodeAt(T1).activityCompleted(chunk, reports(T1));
      return h;
    };

    it("after a retryable failure, waits until the time the retry policy computes from currentUtcDateTime and the seed", async () => {
      const result = await replay(
        dispatchOrchestrator,
        roundZero((at) => [unavailable(a, at), delivered(b, at)]),
      );
      expect(result.decisions).toEqual([timerAt(policyFireAt(T1, 1, schedule))]);
      // 5 s jittered by seededRandom("dispatch-0-42:1"): a change of seed, jitter or clock shows here.
      expect(result.decisions).toEqual([{ kind: "timer", fireAt: "2026-03-02T09:00:05.774Z" }]);
      expect(result.isDone).toBe(false);
    });

    it("seeds the jitter with the instance id: the same history under another instance waits another time", async () => {
      const other = await replay(
        dispatchOrchestrator,
        roundZero((at) => [unavailable(a, at), delivered(b, at)], "dispatch-0-43"),
      );
      const expected = ms(T1, policyDelay(1, schedule, undefined, "dispatch-0-43") ?? Number.NaN);
      expect(other.decisions).toEqual([timerAt(expected)]);
      expect(other.decisions).toEqual([{ kind: "timer", fireAt: "2026-03-02T09:00:04.401Z" }]);
    });

    it("after the timer re-sends only the failed delivery, counted, then seeds the next round's jitter with its number", async () => {
      const h = roundZero((at) => [unavailable(a, at), delivered(b, at)]);
      const firstWait = policyFireAt(T1, 1, schedule);
      h.timerFires(h.timerCreated(firstWait));
      const retry = failedOnce(a, T1);
      expect((await replay(dispatchOrchestrator, h)).decisions).toEqual([deliver([retry])]);

      const chunk = h.activityScheduled(DELIVER_ACTIVITY, [retry]);
      const T2 = ms(firstWait, 400);
      h.episodeAt(T2).activityCompleted(chunk, [unavailable(a, T2)]);
      const result = await replay(dispatchOrchestrator, h);
      expect(result.decisions).toEqual([timerAt(policyFireAt(T2, 2, schedule))]);
      expect(result.customStatus).toEqual({
        round: 2,
        pending: 1,
        planned: 2,
        delivered: 1,
        retried: 1,
        deadLettered: 0,
        dropped: 0,
      });
    });

    it("honours the longest Retry-After of the round when it is longer than the jittered delay", async () => {
      const result = await replay(
        dispatchOrchestrator,
        roundZero((at) => [unavailable(a, at, 9000), unavailable(b, at, 7000)]),
      );
      expect(result.decisions).toEqual([timerAt(policyFireAt(T1, 1, schedule, 9000))]);
      expect(result.decisions).toEqual([timerAt(ms(T1, 9000))]);
    });

    it("keeps the jittered delay when Retry-After asks for less, and caps Retry-After at twice the scheduled delay", async () => {
      const sooner = await replay(
        dispatchOrchestrator,
        roundZero((at) => [unavailable(a, at, 1000), delivered(b, at)]),
      );
      expect(sooner.decisions).toEqual([timerAt(policyFireAt(T1, 1, schedule))]);

      const later = await replay(
        dispatchOrchestrator,
        roundZero((at) => [unavailable(a, at, 3_600_000), delivered(b, at)]),
      );
      expect(later.decisions).toEqual([timerAt(policyFireAt(T1, 1, schedule, 3_600_000))]);
      expect(later.decisions).toEqual([timerAt(ms(T1, 10_000))]);
    });
  });

  describe("dead letters", () => {
    const schedule = [0, 1000];
    const T1 = ms(T0, 350);

    it("dead-letters what still fails when the schedule runs out, in one dead-letter activity, then finishes", async () => {
      const [a, b] = [delivery("a"), delivery("b", "wh2")];
      const h = started(deliveriesInput([a, b], settings(10, schedule)));
      const first = h.activityScheduled(DELIVER_ACTIVITY, [fresh(a), fresh(b)]);
      h.episodeAt(T1).activityCompleted(first, [unavailable(a, T1), delivered(b, T1)]);
      h.timerFires(h.timerCreated(policyFireAt(T1, 1, schedule)));
      const retry: PendingDelivery = {
        delivery: a,
        attempts: 1,
        firstAttemptAt: T1.toISOString(),
        last: { kind: "retryable", status: 503 },
      };
      const second = h.activityScheduled(DELIVER_ACTIVITY, [retry]);
      const T2 = ms(h.now, 400);
      h.episodeAt(T2).activityCompleted(second, [unavailable(a, T2)]);

      const exhausted = await replay(dispatchOrchestrator, h);
      const deadLetters: DeadLetterRequest[] = [
        {
          pending: {
            delivery: a,
            attempts: 2,
            firstAttemptAt: T1.toISOString(),
            last: { kind: "retryable", status: 503 },
          },
          reason: "retries exhausted",
        },
      ];
      expect(exhausted.decisions).toEqual([activity(DEAD_LETTER_ACTIVITY, deadLetters)]);
      expect(exhausted.isDone).toBe(false);

      const deadLettering = h.activityScheduled(DEAD_LETTER_ACTIVITY, deadLetters);
      h.episodeAfter(150).activityCompleted(deadLettering, 1);
      const finished = await replay(dispatchOrchestrator, h);
      expect(finished.decisions).toEqual([]);
      expect(finished.isDone).toBe(true);
      expect(finished.output).toEqual({ planned: 2, delivered: 1, retried: 1, deadLettered: 1, dropped: 0 });
    });

    it("dead-letters permanent failures with the exhausted ones, in the same call at the end", async () => {
      const [gone, missing, flaky] = [delivery("gone"), delivery("missing"), delivery("flaky")];
      const h = started(deliveriesInput([gone, missing, flaky], settings(10, schedule)));
      const first = h.activityScheduled(DELIVER_ACTIVITY, [gone, missing, flaky].map(fresh));
      const at = T1.toISOString();
      h.episodeAt(T1).activityCompleted(first, [
        { deliveryId: "gone", at, outcome: { kind: "permanent", status: 410, gone: true } },
        { deliveryId: "missing", at, outcome: { kind: "permanent", status: 404, gone: false } },
        unavailable(flaky, T1),
      ]);
      const afterFirst = await replay(dispatchOrchestrator, h);
      expect(afterFirst.decisions).toEqual([timerAt(policyFireAt(T1, 1, schedule))]);

      h.timerFires(h.timerCreated(policyFireAt(T1, 1, schedule)));
      const retry: PendingDelivery = {
        delivery: flaky,
        attempts: 1,
        firstAttemptAt: at,
        last: { kind: "retryable", status: 503 },
      };
      const second = h.activityScheduled(DELIVER_ACTIVITY, [retry]);
      const T2 = ms(h.now, 400);
      h.episodeAt(T2).activityCompleted(second, [unavailable(flaky, T2)]);
      const result = await replay(dispatchOrchestrator, h);
      const [call] = result.decisions;
      expect(result.decisions).toHaveLength(1);
      expect(call?.kind === "activity" && call.name).toBe(DEAD_LETTER_ACTIVITY);
      const requests = (call?.kind === "activity" ? call.input : []) as DeadLetterRequest[];
      expect(requests.map((r) => [r.pending.delivery.id, r.pending.attempts, r.reason])).toEqual([
        ["gone", 1, "receiver answered 410 Gone"],
        ["missing", 1, "permanent failure"],
        ["flaky", 2, "retries exhausted"],
      ]);
    });

    it("drops a delivery its webhook no longer takes (skipped) without retry or dead letter, and finishes", async () => {
      const [a, b] = [delivery("a"), delivery("b")];
      const h = started(deliveriesInput([a, b], settings(10, schedule)));
      const first = h.activityScheduled(DELIVER_ACTIVITY, [fresh(a), fresh(b)]);
      h.episodeAt(T1).activityCompleted(first, [
        delivered(a, T1),
        { deliveryId: "b", at: T1.toISOString(), skipped: "webhook deleted" },
      ]);
      const result = await replay(dispatchOrchestrator, h);
      expect(result.decisions).toEqual([]);
      expect(result.isDone).toBe(true);
      expect(result.output).toEqual({ planned: 2, delivered: 1, retried: 0, deadLettered: 0, dropped: 1 });
    });
  });

  describe("a chunk whose activity fails for good", () => {
    const schedule = [0, 5000, 30_000];
    const [a, b] = [delivery("a"), delivery("b")];
    const T1 = ms(T0, 300);
    /** Round 0 in chunks of one: [a] and [b]. */
    const twoChunks = (): { h: OrchestrationHistory; chunkA: number; chunkB: number } => {
      const h = started(deliveriesInput([a, b], settings(1, schedule)));
      const chunkA = h.activityScheduled(DELIVER_ACTIVITY, [fresh(a)]);
      const chunkB = h.activityScheduled(DELIVER_ACTIVITY, [fresh(b)]);
      return { h, chunkA, chunkB };
    };

    it("keeps the other chunk's reports and retries the failed chunk's deliveries next round, after the schedule's wait", async () => {
      const { h, chunkA, chunkB } = twoChunks();
      h.episodeAt(T1).activityCompleted(chunkA, [delivered(a, T1)]);
      h.activityFailsForGood(chunkB, ACTIVITY_RETRY, "table storage unavailable");
      const failed = await replay(dispatchOrchestrator, h);
      const wait = policyFireAt(h.now, 1, schedule);
      expect(failed.error).toBeUndefined();
      expect(failed.isDone).toBe(false);
      expect(failed.decisions).toEqual([timerAt(wait)]);

      h.timerFires(h.timerCreated(wait));
      // No report says b arrived, so it goes again as it was: no attempt is counted for a chunk that failed.
      expect((await replay(dispatchOrchestrator, h)).decisions).toEqual([deliver([fresh(b)])]);

      const again = h.activityScheduled(DELIVER_ACTIVITY, [fresh(b)]);
      const T2 = ms(h.now, 300);
      h.episodeAt(T2).activityCompleted(again, [delivered(b, T2)]);
      const finished = await replay(dispatchOrchestrator, h);
      expect(finished.isDone).toBe(true);
      expect(finished.output).toEqual({ planned: 2, delivered: 2, retried: 1, deadLettered: 0, dropped: 0 });
    });

    it("re-sends a chunk still running when another chunk fails for good, even if it completes during the wait", async () => {
      const { h, chunkA, chunkB } = twoChunks();
      h.episodeAt(T1);
      h.activityFailsForGood(chunkB, ACTIVITY_RETRY, "table storage unavailable");
      const wait = policyFireAt(h.now, 1, schedule);
      expect((await replay(dispatchOrchestrator, h)).decisions).toEqual([timerAt(wait)]);

      const timer = h.timerCreated(wait);
      h.episodeAfter(500).activityCompleted(chunkA, [delivered(a, h.now)]);
      h.timerFires(timer);
      // Task.all gives up at the first failure: a's late report is not read, and a goes again (at least once).
      expect((await replay(dispatchOrchestrator, h)).decisions).toEqual([
        deliver([fresh(a)]),
        deliver([fresh(b)]),
      ]);
    });
  });

  it("fails the instance on an input it cannot read, scheduling nothing", async () => {
    const result = await replay(
      dispatchOrchestrator,
      orchestrationHistory({ instanceId: INSTANCE, input: { kind: "nonsense" }, startedAt: T0 }),
    );
    expect(result.error).toContain("dispatch orchestration input does not match DispatchInput");
    expect(result.isDone).toBe(false);
    expect(result.actions).toEqual([]);
  });
});
