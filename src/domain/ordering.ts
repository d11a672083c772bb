import { createHash } from "node:crypto";

import * as t from "io-ts";

/**
 * Per-subject in-order delivery (a webhook's `ordering: "per-subject"`): the pure rules. Storage and the
 * dispatch path apply them (adapters/tables/subjectStreams.ts, functions/dispatch).
 *
 * - Sequencing: every delivery with a subject to an ordered webhook gets n = 1, 2, 3, ... per (webhook, subject)
 *   in the order of the Event Hub stream, and the id of the delivery before it (`webhook-previous-id`).
 * - Progress: delivery n may be sent once n - 1 is settled (delivered with a 2xx, or dead-lettered and skipped).
 */
export const Ordering = t.keyof({ none: null, "per-subject": null }, "Ordering");
export type Ordering = t.TypeOf<typeof Ordering>;
/** What happens when the head's retries run out: dead-letter it and go on, or hold the subject for an operator. */
export const OrderingOnFailure = t.keyof({ continue: null, block: null }, "OrderingOnFailure");
export type OrderingOnFailure = t.TypeOf<typeof OrderingOnFailure>;

/** A delivery's place in its (webhook, subject) stream. `resend`: an operator's re-send (dead-letter replay). */
export const SequenceCodec = t.intersection([
  t.type({ n: t.number }),
  t.partial({ previousId: t.string, resend: t.boolean }),
]);
export type Sequence = t.TypeOf<typeof SequenceCodec>;

/**
 * The opaque id of a (webhook, subject) stream, for URLs and storage keys: never the subject (a fiscal code)
 * itself. Pseudonymous, not anonymous: whoever knows a fiscal code and the webhook id can compute it.
 */
export const subjectIdOf = (webhookId: string, subject: string): string =>
  "sub_" + createHash("sha256").update(`${webhookId}\u0000${subject}`).digest("base64url").slice(0, 22);

/**
 * The stream id of an ordered delivery, from its webhook and subject. Computed where it is needed, never carried
 * in a delivery: every delivery passes through orchestration history several times, and the id would add a
 * quarter to an ordered delivery's history for nothing.
 */
export const streamIdOf = (delivery: { readonly webhookId: string; readonly subject?: string }): string =>
  subjectIdOf(delivery.webhookId, delivery.subject ?? "");

/** Where sequencing stands for one (webhook, subject): the last number given and, per partition, the stream
    position (Event Hub sequence number) of the last event numbered, so a redelivered batch is recognised. */
export interface SubjectCursor {
  readonly lastSeq: number;
  readonly lastDeliveryId?: string;
  readonly watermarks: Readonly<Record<string, number>>;
}

export const EMPTY_CURSOR: SubjectCursor = { lastSeq: 0, watermarks: {} };

/** A delivery to an ordered webhook that has a subject, with the stream position of its event. */
export interface OrderedCandidate {
  readonly deliveryId: string;
  readonly webhookId: string;
  readonly subjectId: string;
  readonly partitionId: string;
  readonly sequenceNumber: number;
}

export const streamKey = (webhookId: string, subjectId: string): string => `${webhookId}/${subjectId}`;

export interface Assignment {
  /** Newly numbered deliveries, in stream order. */
  readonly assigned: ReadonlyArray<{ readonly candidate: OrderedCandidate; readonly sequence: Sequence }>;
  /** Deliveries of events this subject's cursor has already passed (a redelivered batch): look their numbers up. */
  readonly known: ReadonlyArray<OrderedCandidate>;
  /** The cursors that changed, by streamKey. */
  readonly cursors: ReadonlyMap<string, SubjectCursor>;
}

/**
 * Numbers a batch's ordered deliveries (given in stream order, as planned). An event at or before a cursor's
 * watermark for its partition was numbered by an earlier run of this batch: it keeps that number (known).
 * Several deliveries of one event to one webhook are numbered in plan order.
 */
export const assignSequences = (
  cursorOf: (key: string) => SubjectCursor,
  candidates: ReadonlyArray<OrderedCandidate>,
): Assignment => {
  const before = new Map<string, SubjectCursor>();
  const cursors = new Map<string, SubjectCursor>();
  const assigned: Array<{ candidate: OrderedCandidate; sequence: Sequence }> = [];
  const known: OrderedCandidate[] = [];
  for (const candidate of candidates) {
    const key = streamKey(candidate.webhookId, candidate.subjectId);
    if (!before.has(key)) before.set(key, cursorOf(key));
    const watermark = before.get(key)?.watermarks[candidate.partitionId];
    if (watermark !== undefined && candidate.sequenceNumber <= watermark) {
      known.push(candidate);
      continue;
    }
    const cursor = cursors.get(key) ?? before.get(key) ?? EMPTY_CURSOR;
    const n = cursor.lastSeq + 1;
    assigned.push({
      candidate,
      sequence: {
        n,
        ...(cursor.lastDeliveryId === undefined ? {} : { previousId: cursor.lastDeliveryId }),
      },
    });
    cursors.set(key, {
      lastSeq: n,
      lastDeliveryId: candidate.deliveryId,
      watermarks: {
        ...cursor.watermarks,
        [candidate.partitionId]: Math.max(
          candidate.sequenceNumber,
          cursor.watermarks[candidate.partitionId] ?? -1,
        ),
      },
    });
  }
  return { assigned, known, cursors };
};

/** Where delivery of one (webhook, subject) stream stands. */
export interface SubjectProgress {
  /** Every n up to this one is settled (delivered, or dead-lettered and passed). 0: nothing yet. */
  readonly settledSeq: number;
  readonly settledDeliveryId?: string;
  /** flowing: nothing held; waiting: the head failed and waits on its retry schedule; blocked: the head's
      retries ran out under `orderingOnFailure: "block"` and an operator must skip or retry it. */
  readonly state: "flowing" | "waiting" | "blocked";
  readonly head?: SubjectHead;
}

export interface SubjectHead {
  readonly deliveryId: string;
  readonly n: number;
  readonly attempts: number;
  /** When the head started being held. */
  readonly since: string;
  readonly nextAttemptAt?: string;
  readonly lastStatus?: number;
  readonly lastError?: string;
  /** The orchestration instance that holds the head (for retry-now and skip). */
  readonly holder?: string;
}

export const INITIAL_PROGRESS: SubjectProgress = { settledSeq: 0, state: "flowing" };

/** What happened to delivery n of a stream. */
export type ProgressEvent =
  | { readonly kind: "delivered"; readonly n: number; readonly deliveryId: string }
  | {
      readonly kind: "failed";
      readonly n: number;
      readonly deliveryId: string;
      readonly attempts: number;
      readonly at: string;
      readonly nextAttemptAt?: string;
      readonly lastStatus?: number;
      readonly lastError?: string;
      readonly holder?: string;
    }
  /** Dead-lettered: `block` holds the stream at n, otherwise it moves past n. */
  | {
      readonly kind: "dead-lettered";
      readonly n: number;
      readonly deliveryId: string;
      readonly at: string;
      readonly block: boolean;
      readonly attempts: number;
    }
  /** An operator passed over a blocked head. */
  | { readonly kind: "skipped"; readonly n: number; readonly deliveryId: string };

/** May delivery n go now? settled: it already did (a re-run); held: an earlier one is not settled yet. */
export const readiness = (progress: SubjectProgress, n: number): "settled" | "ready" | "held" =>
  n <= progress.settledSeq ? "settled" : n === progress.settledSeq + 1 ? "ready" : "held";

/**
 * The progress after one event. Idempotent and monotonic: an event about an n already settled changes nothing,
 * so a re-run applies safely; settledSeq only ever grows.
 */
export const progressAfter = (progress: SubjectProgress, event: ProgressEvent): SubjectProgress => {
  if (event.n <= progress.settledSeq) return progress;
  // Only the head (settled + 1) can be settled or held: anything later is a bug in the caller.
  if (event.n !== progress.settledSeq + 1) return progress;
  switch (event.kind) {
    case "delivered":
    case "skipped":
      return { settledSeq: event.n, settledDeliveryId: event.deliveryId, state: "flowing" };
    case "dead-lettered":
      return event.block
        ? {
            ...progress,
            state: "blocked",
            head: {
              ...headOf(progress, event.n, event.deliveryId, event.at),
              attempts: event.attempts,
            },
          }
        : { settledSeq: event.n, settledDeliveryId: event.deliveryId, state: "flowing" };
    case "failed": {
      const head = headOf(progress, event.n, event.deliveryId, event.at);
      const { nextAttemptAt: _next, lastStatus: _status, lastError: _error, holder: _holder, ...kept } = head;
      return {
        ...progress,
        // A blocked head stays blocked while an operator's retry of it fails.
        state: progress.state === "blocked" ? "blocked" : "waiting",
        head: {
          ...kept,
          attempts: Math.max(event.attempts, head.deliveryId === event.deliveryId ? head.attempts : 0),
          ...(event.nextAttemptAt === undefined ? {} : { nextAttemptAt: event.nextAttemptAt }),
          ...(event.lastStatus === undefined ? {} : { lastStatus: event.lastStatus }),
          ...(event.lastError === undefined ? {} : { lastError: event.lastError }),
          ...(event.holder === undefined ? {} : { holder: event.holder }),
        },
      };
    }
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};

const headOf = (progress: SubjectProgress, n: number, deliveryId: string, at: string): SubjectHead =>
  progress.head !== undefined && progress.head.n === n
    ? progress.head
    : { deliveryId, n, attempts: 0, since: at };

/** The two headers an ordered delivery carries beside the Standard Webhooks ones (outside the signature). */
export const sequenceHeaders = (sequence: Sequence): Record<string, string> => ({
  "webhook-sequence": String(sequence.n),
  ...(sequence.previousId === undefined ? {} : { "webhook-previous-id": sequence.previousId }),
});

/** How soon a delivery held behind one in flight elsewhere looks again: short, as that one is about to settle. */
export const HOLD_FLOWING_MS = 250;

/**
 * When a held delivery looks again (ms since epoch). Behind one in flight: soon. Behind a head waiting on its
 * retry schedule: when that head goes next. Behind a blocked head (an operator must act): backing off from
 * 0.5 s to 30 s, the n-th look from 0.
 */
export const holdUntil = (args: {
  readonly at: number;
  readonly looks: number;
  readonly behind?: "flowing" | "waiting" | "blocked";
  readonly lookAt?: number;
}): number => {
  if (args.behind === "flowing") return args.at + HOLD_FLOWING_MS;
  if (args.behind === "waiting" && args.lookAt !== undefined && Number.isFinite(args.lookAt))
    return Math.max(args.lookAt + HOLD_FLOWING_MS, args.at + HOLD_FLOWING_MS);
  return args.at + holdDelayMs(args.looks);
};

/** The backoff of a delivery held behind a blocked head (the n-th look, from 0). */
export const holdDelayMs = (looks: number): number => Math.min(500 * 2 ** Math.min(looks, 6), 30_000);

/**
 * Splits deliveries into chunks of about `size`, keeping every ordered stream's deliveries in one chunk (in
 * order), so one deliver activity can send them one after another. A chunk grows past `size` only by the
 * stream that does not fit.
 */
export const chunkByStream = <
  A extends {
    readonly delivery: {
      readonly webhookId: string;
      readonly subject?: string;
      readonly sequence?: Sequence;
    };
  },
>(
  items: ReadonlyArray<A>,
  size: number,
): ReadonlyArray<ReadonlyArray<A>> => {
  const limit = Math.max(1, size);
  const groups: A[][] = [];
  const byStream = new Map<string, A[]>();
  for (const item of items) {
    const sequence = item.delivery.sequence;
    if (sequence === undefined) {
      groups.push([item]);
      continue;
    }
    const key = streamKey(item.delivery.webhookId, streamIdOf(item.delivery));
    const group = byStream.get(key);
    if (group === undefined) {
      const fresh = [item];
      byStream.set(key, fresh);
      groups.push(fresh);
    } else group.push(item);
  }
  const chunks: A[][] = [];
  let current: A[] = [];
  for (const group of groups) {
    if (current.length > 0 && current.length + group.length > limit) {
      chunks.push(current);
      current = [];
    }
    current.push(...group.sort(byN));
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
};

const byN = (
  a: { readonly delivery: { readonly sequence?: Sequence } },
  b: { readonly delivery: { readonly sequence?: Sequence } },
): number => (a.delivery.sequence?.n ?? 0) - (b.delivery.sequence?.n ?? 0);
