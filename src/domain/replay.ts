import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { type FieldError, fieldErrorsOf } from "./fieldErrors";
import { type Webhook } from "./webhook";

/**
 * Replays from the Event Hub for one webhook: the request, its record and the pure decisions of the reader loop
 * (where a partition stands, when a page ends it, how long to wait for the rate).
 */

export const PUBLIC_EVENT_NAMES = ["ping", "service:subscribed"] as const;
export type PublicEventName = (typeof PUBLIC_EVENT_NAMES)[number];

/** Events per second a replay hands over when the request names no rate: a share of one instance's headroom. */
export const DEFAULT_REPLAY_RATE = 200;
export const MAX_REPLAY_RATE = 5000;
/** The most events read from one partition in one step (one page). */
export const MAX_PAGE_SIZE = 200;

const IsoTime = new t.Type<string, string>(
  "an ISO 8601 time such as 2026-03-01T10:00:00Z",
  (u): u is string => typeof u === "string",
  (u, c) =>
    typeof u === "string" && /^\d{4}-\d{2}-\d{2}T/.test(u) && Number.isFinite(Date.parse(u))
      ? t.success(new Date(Date.parse(u)).toISOString())
      : t.failure(u, c),
  String,
);

const Rate = new t.Type<number, number>(
  `an integer 1-${MAX_REPLAY_RATE} (events per second)`,
  (u): u is number => typeof u === "number",
  (u, c) =>
    typeof u === "number" && Number.isInteger(u) && u >= 1 && u <= MAX_REPLAY_RATE
      ? t.success(u)
      : t.failure(u, c),
  (n) => n,
);

const EventName = t.keyof({ ping: null, "service:subscribed": null }, "a public event name");

/** The body of `POST /api/webhooks/{id}/replays`. */
export const ReplayRequest = t.intersection(
  [t.type({ from: IsoTime }), t.partial({ to: IsoTime, events: t.array(EventName), rate: Rate })],
  "ReplayRequest",
);
export type ReplayRequest = t.TypeOf<typeof ReplayRequest>;

/** Where one partition's replay stands: the last sequence number handed over, and whether it reached `to`. */
export const PartitionPosition = t.intersection([
  t.type({ finished: t.boolean }),
  t.partial({ sequenceNumber: t.number }),
]);
export type PartitionPosition = t.TypeOf<typeof PartitionPosition>;

export const ReplayCounters = t.type({
  eventsRead: t.number,
  planned: t.number,
  delivered: t.number,
  retried: t.number,
  deadLettered: t.number,
  dropped: t.number,
});
export type ReplayCounters = t.TypeOf<typeof ReplayCounters>;
export const NO_COUNTS: ReplayCounters = {
  eventsRead: 0,
  planned: 0,
  delivered: 0,
  retried: 0,
  deadLettered: 0,
  dropped: 0,
};

export const ReplayState = t.keyof({ running: null, completed: null, failed: null, cancelled: null });
export type ReplayState = t.TypeOf<typeof ReplayState>;

/** The replay record (one table row); `step` is the last step whose counts were added (idempotent records). */
export const Replay = t.intersection(
  [
    t.type({
      id: t.string,
      webhookId: t.string,
      state: ReplayState,
      from: t.string,
      to: t.string,
      events: t.array(EventName),
      rate: t.number,
      counts: ReplayCounters,
      /** Per partition id; empty until the first step lists the hub's partitions. */
      partitions: t.record(t.string, PartitionPosition),
      step: t.number,
      startedAt: t.string,
    }),
    t.partial({ finishedAt: t.string, error: t.string }),
  ],
  "Replay",
);
export type Replay = t.TypeOf<typeof Replay>;

/** A replay as the API shows it (GET, and the answer to POST and DELETE); the OpenAPI schema mirrors it. */
export const ReplayView = t.intersection(
  [
    t.type({
      id: t.string,
      webhookId: t.string,
      state: ReplayState,
      from: t.string,
      to: t.string,
      events: t.array(t.string),
      rate: t.number,
      eventsRead: t.number,
      deliveries: t.type({
        planned: t.number,
        delivered: t.number,
        retried: t.number,
        deadLettered: t.number,
        dropped: t.number,
      }),
      /** Per partition: the last sequence number handed over, and whether the partition reached `to`. */
      partitions: t.record(t.string, PartitionPosition),
      startedAt: t.string,
    }),
    t.partial({ finishedAt: t.string, error: t.string }),
  ],
  "Replay",
);
export type ReplayView = t.TypeOf<typeof ReplayView>;

export const replayView = (replay: Replay): ReplayView => {
  const { eventsRead, ...deliveries } = replay.counts;
  return {
    id: replay.id,
    webhookId: replay.webhookId,
    state: replay.state,
    from: replay.from,
    to: replay.to,
    events: replay.events,
    rate: replay.rate,
    eventsRead,
    deliveries,
    partitions: replay.partitions,
    startedAt: replay.startedAt,
    ...(replay.finishedAt === undefined ? {} : { finishedAt: replay.finishedAt }),
    ...(replay.error === undefined ? {} : { error: replay.error }),
  };
};

export const isFinal = (state: ReplayState): boolean => state !== "running";

/** The oldest time the hub still holds, by its retention. */
export const oldestAvailable = (now: Date, retentionDays: number): Date =>
  new Date(now.getTime() - retentionDays * 86_400_000);

/**
 * Decodes and checks a replay request against the webhook and the hub's retention. Errors name the field
 * (`/from`, `/to`, `/events/1`), never echo a value.
 */
export const validateReplayRequest = (args: {
  readonly body: unknown;
  readonly webhook: Webhook;
  readonly now: Date;
  readonly retentionDays: number;
}): E.Either<
  ReadonlyArray<FieldError>,
  { from: string; to: string; events: PublicEventName[]; rate: number }
> => {
  const decoded = ReplayRequest.decode(args.body);
  if (E.isLeft(decoded)) return E.left(fieldErrorsOf(decoded.left));
  const request = decoded.right;
  const to = request.to ?? args.now.toISOString();
  const oldest = oldestAvailable(args.now, args.retentionDays).toISOString();
  const errors: FieldError[] = [];
  if (Date.parse(to) > args.now.getTime()) errors.push({ path: "/to", message: "must not be in the future" });
  if (Date.parse(request.from) >= Date.parse(to))
    errors.push({ path: "/from", message: "must be before to" });
  if (Date.parse(request.from) < Date.parse(oldest))
    errors.push({
      path: "/from",
      message: `is older than the hub's retention: the oldest time available is ${oldest}`,
    });
  const subscribed = new Set<string>(args.webhook.subscriptions);
  (request.events ?? []).forEach((name, i) => {
    if (!subscribed.has(name))
      errors.push({ path: `/events/${i}`, message: "the webhook is not subscribed to this event" });
  });
  if (errors.length > 0) return E.left(errors);
  const events =
    request.events ??
    args.webhook.subscriptions.filter((s): s is PublicEventName =>
      (PUBLIC_EVENT_NAMES as ReadonlyArray<string>).includes(s),
    );
  return E.right({
    from: request.from,
    to,
    events: [...new Set(events)],
    rate: request.rate ?? DEFAULT_REPLAY_RATE,
  });
};

/** Events read from each partition in one step: together about one second of the rate, at most MAX_PAGE_SIZE. */
export const pageSizeOf = (rate: number, partitions: number): number =>
  Math.max(1, Math.min(MAX_PAGE_SIZE, Math.ceil(rate / Math.max(1, partitions))));

/** How long to wait after a step that read `events` in `elapsedMs`, so the replay keeps to `rate` events/s. */
export const paceDelayMs = (events: number, rate: number, elapsedMs: number): number =>
  Math.max(0, Math.ceil((events / rate) * 1000 - elapsedMs));

/** One event as the reader hands it over. */
export interface HubEvent {
  readonly sequenceNumber: number;
  readonly enqueuedTime: string;
  readonly messageId?: string;
  readonly body: unknown;
}

/** The event id the live path gives an event (ingest.ts): its AMQP message id, else "partition:sequenceNumber". */
export const hubEventId = (
  partitionId: string,
  event: Pick<HubEvent, "messageId" | "sequenceNumber">,
): string => event.messageId ?? `${partitionId}:${event.sequenceNumber}`;

/** A partition as the reader saw it just before reading a page. */
export interface PartitionEnd {
  /** The last enqueued event's sequence number and time; absent: the partition holds no events. */
  readonly lastSequenceNumber?: number;
  readonly lastEnqueuedTime?: string;
}

/**
 * What one page does to a partition's position: the events up to `to` are kept. The partition is finished by an
 * event after `to`, by reaching the end it had when the page was read, or, before its first event was read, by
 * holding nothing enqueued at or after `from`. An empty page otherwise changes nothing (the next step reads again).
 */
export const advance = (args: {
  readonly position: PartitionPosition;
  readonly page: ReadonlyArray<HubEvent>;
  readonly from: string;
  readonly to: string;
  readonly end: PartitionEnd;
}): { readonly kept: ReadonlyArray<HubEvent>; readonly position: PartitionPosition } => {
  const toMs = Date.parse(args.to);
  const kept = args.page.filter((e) => Date.parse(e.enqueuedTime) <= toMs);
  const pastTo = kept.length < args.page.length;
  const last = kept.at(-1)?.sequenceNumber ?? args.position.sequenceNumber;
  const { lastSequenceNumber, lastEnqueuedTime } = args.end;
  const atEnd =
    lastSequenceNumber === undefined ||
    (last !== undefined && last >= lastSequenceNumber) ||
    (last === undefined &&
      args.page.length === 0 &&
      lastEnqueuedTime !== undefined &&
      Date.parse(lastEnqueuedTime) < Date.parse(args.from));
  return {
    kept,
    position: { finished: pastTo || atEnd, ...(last === undefined ? {} : { sequenceNumber: last }) },
  };
};

/** Adds one step's counts. */
export const addCounts = (a: ReplayCounters, b: ReplayCounters): ReplayCounters => ({
  eventsRead: a.eventsRead + b.eventsRead,
  planned: a.planned + b.planned,
  delivered: a.delivered + b.delivered,
  retried: a.retried + b.retried,
  deadLettered: a.deadLettered + b.deadLettered,
  dropped: a.dropped + b.dropped,
});

export const allFinished = (partitions: Readonly<Record<string, PartitionPosition>>): boolean =>
  Object.keys(partitions).length > 0 && Object.values(partitions).every((p) => p.finished);

/**
 * A page's deliveries to a per-subject webhook in rounds that hold at most one delivery per subject, in page
 * order: round k + 1 goes once round k is settled (delivered or dead-lettered), so a subject's replayed deliveries
 * keep their order. Deliveries without a subject go in the first round.
 */
export const roundsBySubject = <A extends { readonly subject?: string }>(
  deliveries: ReadonlyArray<A>,
): A[][] => {
  const rounds: A[][] = [];
  const seen = new Map<string, number>();
  for (const d of deliveries) {
    const k = d.subject === undefined ? 0 : (seen.get(d.subject) ?? 0);
    if (d.subject !== undefined) seen.set(d.subject, k + 1);
    (rounds[k] ??= []).push(d);
  }
  return rounds;
};
