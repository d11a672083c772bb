import { createHash } from "node:crypto";

import * as t from "io-ts";

import { type DeliveryOutcome } from "./classification";
import { type Delivery } from "./deliveryPlan";
import { IncomingEvent } from "./events";
import { SequenceCodec } from "./ordering";
import { nextAttemptDelay } from "./retryPolicy";

/** What the dispatch orchestration is started with. Settings travel in the input so replays are deterministic. */
const OutgoingMessageCodec = t.type({
  name: t.keyof({ ping: null, "service:subscribed": null }),
  payload: t.record(t.string, t.string),
});
export const DeliveryCodec = t.intersection([
  t.type({ id: t.string, eventId: t.string, webhookId: t.string, message: OutgoingMessageCodec }),
  t.partial({ subject: t.string, sequence: SequenceCodec, replayId: t.string }),
]);

export const DispatchSettings = t.type({
  chunkSize: t.number,
  retrySchedule: t.array(t.number),
});
export type DispatchSettings = t.TypeOf<typeof DispatchSettings>;

export const EventsToDispatch = t.intersection([
  t.type({
    kind: t.literal("events"),
    events: t.array(t.type({ eventId: t.string, event: IncomingEvent })),
    settings: DispatchSettings,
  }),
  /** The numbers ingest gave the batch's deliveries to per-subject webhooks, by delivery id. */
  t.partial({ sequences: t.record(t.string, SequenceCodec) }),
]);
export const DeliveriesToDispatch = t.type({
  kind: t.literal("deliveries"),
  /** Why these were planned outside the event path: an operator's ping, a dead-letter replay, a hub replay. */
  reason: t.keyof({ ping: null, replay: null, "hub-replay": null }),
  deliveries: t.array(DeliveryCodec),
  settings: DispatchSettings,
});
/**
 * What the ingest's first round (ingest/ingest.ts) left for an orchestration: the deliveries it did not settle,
 * its reports for them (failed, held behind an earlier delivery of their subject, or not answered), and what it
 * settled, counted. Successes never enter the history.
 */
export const RestToDispatch = t.type({
  kind: t.literal("rest"),
  deliveries: t.array(DeliveryCodec),
  reports: t.array(t.UnknownRecord),
  counted: t.type({ planned: t.number, delivered: t.number, dropped: t.number }),
  settings: DispatchSettings,
});
/** Telemetry's W3C trace context and the events' enqueued times (src/adapters/telemetry); inputs without it decode. */
const TraceCarrier = t.intersection([
  t.type({ traceparent: t.string }),
  t.partial({ enqueued: t.record(t.string, t.string) }),
]);
export const DispatchInput = t.intersection(
  [t.union([EventsToDispatch, DeliveriesToDispatch, RestToDispatch]), t.partial({ trace: TraceCarrier })],
  "DispatchInput",
);
export type DispatchInput = t.TypeOf<typeof DispatchInput>;

export interface PlanInput {
  readonly events: ReadonlyArray<{ eventId: string; event: IncomingEvent }>;
  /** When the plan has at most this many deliveries, deliver them at once (the first round) and report them. */
  readonly deliverUpTo?: number;
  /** Deliver them in chunks of this many at once (the ingest's first round); default: all in one chunk. */
  readonly chunkSize?: number;
  readonly sequences?: Readonly<Record<string, t.TypeOf<typeof SequenceCodec>>>;
  /** For the first round's bookkeeping of ordered deliveries (see DeliverInput). */
  readonly instanceId?: string;
  readonly retrySchedule?: ReadonlyArray<number>;
}

/** What the deliver activity takes: a chunk, and for ordered deliveries who holds them and the schedule. */
export interface DeliverInput {
  readonly deliveries: ReadonlyArray<PendingDelivery>;
  readonly instanceId?: string;
  readonly retrySchedule?: ReadonlyArray<number>;
}

/** Histories written before ordering hold a bare chunk. */
export const readDeliverInput = (input: ReadonlyArray<PendingDelivery> | DeliverInput): DeliverInput =>
  Array.isArray(input) ? { deliveries: input } : (input as DeliverInput);

/** What the plan activity returns. Histories written before the fast path hold a bare `Delivery[]`. */
export interface PlanResult {
  readonly deliveries: Delivery[];
  /** The first round's reports, when the plan was small enough to deliver in the plan activity itself. */
  readonly reports?: DeliveryReport[];
}

/** Reads a plan activity's output, old (`Delivery[]`) or new (`PlanResult`). */
export const readPlanResult = (output: unknown): PlanResult =>
  Array.isArray(output) ? { deliveries: output as Delivery[] } : (output as PlanResult);

/** A delivery still to be made, with what happened to it so far. */
export interface PendingDelivery {
  readonly delivery: Delivery;
  readonly attempts: number;
  readonly firstAttemptAt?: string;
  readonly last?: DeliveryOutcome;
}

/** What the deliver activity says about one delivery of its chunk. */
export type DeliveryReport =
  | { readonly deliveryId: string; readonly at: string; readonly outcome: DeliveryOutcome }
  | { readonly deliveryId: string; readonly at: string; readonly skipped: string }
  /** Ordered: not sent, an earlier delivery of its subject is not settled yet; `behind` says what that one is
      doing (in flight elsewhere, waiting on its retry schedule until `lookAt`, or blocked). */
  | {
      readonly deliveryId: string;
      readonly at: string;
      readonly held: true;
      readonly behind?: "flowing" | "waiting" | "blocked";
      readonly lookAt?: string;
    }
  /** Ordered: already settled by an earlier run (its progress says so); nothing sent. */
  | { readonly deliveryId: string; readonly at: string; readonly settled: true };

export interface DeadLetterRequest {
  readonly pending: PendingDelivery;
  readonly reason: string;
}

export interface RoundResult {
  readonly delivered: number;
  readonly dropped: number;
  /** Ordered deliveries held behind an earlier one of their subject: not attempted, still pending. */
  readonly held: ReadonlyArray<PendingDelivery>;
  readonly retry: ReadonlyArray<PendingDelivery>;
  readonly deadLetter: ReadonlyArray<DeadLetterRequest>;
  /** The longest Retry-After any receiver of the retried deliveries asked for. */
  readonly retryAfterMs?: number;
}

/**
 * Folds one round of reports into the next state. Failure policy, per delivery:
 * delivered -> done; skipped (webhook deleted or disabled meanwhile) -> dropped, counted; permanent -> dead
 * letter; retryable -> retried; no report at all (the chunk's activity failed) -> retried, since nothing says
 * it arrived (at least once: the receiver dedupes on webhook-id).
 */
export const foldRound = (
  pending: ReadonlyArray<PendingDelivery>,
  reports: ReadonlyArray<DeliveryReport>,
): RoundResult => {
  const byId = new Map(reports.map((r) => [r.deliveryId, r]));
  let delivered = 0;
  let dropped = 0;
  let retryAfterMs: number | undefined;
  const retry: PendingDelivery[] = [];
  const held: PendingDelivery[] = [];
  const deadLetter: DeadLetterRequest[] = [];
  for (const p of pending) {
    const report = byId.get(p.delivery.id);
    if (report === undefined) {
      retry.push(p);
      continue;
    }
    if ("skipped" in report) {
      dropped++;
      continue;
    }
    if ("held" in report) {
      held.push(p);
      continue;
    }
    if ("settled" in report) {
      delivered++;
      continue;
    }
    const next: PendingDelivery = {
      delivery: p.delivery,
      attempts: p.attempts + 1,
      firstAttemptAt: p.firstAttemptAt ?? report.at,
      last: report.outcome,
    };
    switch (report.outcome.kind) {
      case "delivered":
        delivered++;
        break;
      case "permanent":
        deadLetter.push({
          pending: next,
          reason: report.outcome.gone ? "receiver answered 410 Gone" : "permanent failure",
        });
        break;
      case "retryable":
        retry.push(next);
        if (report.outcome.retryAfterMs !== undefined) {
          retryAfterMs = Math.max(retryAfterMs ?? 0, report.outcome.retryAfterMs);
        }
        break;
      default: {
        const unreachable: never = report.outcome;
        return unreachable;
      }
    }
  }
  return {
    delivered,
    dropped,
    held,
    retry,
    deadLetter,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
};

/**
 * What a first round (every delivery's first attempt, `reports`) leaves, by foldRound's rules: the deliveries it
 * did not settle (to retry, held, to dead-letter) with their reports, and the settled ones counted; undefined
 * when it settled everything.
 */
export const restOf = (
  deliveries: ReadonlyArray<Delivery>,
  reports: ReadonlyArray<DeliveryReport>,
):
  | {
      readonly deliveries: Delivery[];
      readonly reports: DeliveryReport[];
      readonly counted: { planned: number; delivered: number; dropped: number };
    }
  | undefined => {
  const round = foldRound(
    deliveries.map((delivery) => ({ delivery, attempts: 0 })),
    reports,
  );
  const unsettled = new Set(
    [...round.retry, ...round.held, ...round.deadLetter.map((d) => d.pending)].map((p) => p.delivery.id),
  );
  if (unsettled.size === 0) return undefined;
  return {
    deliveries: deliveries.filter((d) => unsettled.has(d.id)),
    reports: reports.filter((r) => unsettled.has(r.deliveryId)),
    counted: { planned: deliveries.length, delivered: round.delivered, dropped: round.dropped },
  };
};

/** Splits into chunks of at most `size`, keeping order. */
export const chunk = <A>(items: ReadonlyArray<A>, size: number): ReadonlyArray<ReadonlyArray<A>> => {
  const chunks: A[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size))
    chunks.push(items.slice(i, i + Math.max(1, size)));
  return chunks;
};

/** A replay-safe random source: the same seed always gives the same sequence (for jitter in orchestrators). */
export const seededRandom = (seed: string): (() => number) => {
  const digest = createHash("sha256").update(seed).digest();
  let state = digest.readUInt32LE(0) || 1;
  return () => {
    // xorshift32
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
};

export interface DispatchSummary {
  readonly planned: number;
  readonly delivered: number;
  readonly retried: number;
  readonly deadLettered: number;
  readonly dropped: number;
}

/**
 * When a delivery that failed `attempts` times goes again (ms since epoch), or undefined when the schedule is
 * exhausted. Jitter is seeded by the orchestration and the attempt number, so the deliveries that failed
 * together go again together (one timer, one round) and a replay computes the same time.
 */
export const nextDueAt = (args: {
  readonly failedAt: number;
  readonly attempts: number;
  readonly schedule: ReadonlyArray<number>;
  readonly retryAfterMs?: number;
  readonly seed: string;
}): number | undefined => {
  const delay = nextAttemptDelay({
    attempt: args.attempts,
    schedule: args.schedule,
    ...(args.retryAfterMs === undefined ? {} : { retryAfterMs: args.retryAfterMs }),
    random: seededRandom(`${args.seed}:${args.attempts}`),
  });
  return delay === undefined ? undefined : args.failedAt + delay;
};
