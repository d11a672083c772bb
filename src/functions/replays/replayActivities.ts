import { type HubReader, type PageStart } from "../../adapters/hub/hubReader";
import { type CachedWebhookStore } from "../../adapters/tables/cachedWebhookStore";
import { type ReplayStore } from "../../adapters/tables/replays";
import { type Delivery, planDeliveries } from "../../domain/deliveryPlan";
import {
  addCounts,
  advance,
  allFinished,
  type HubEvent,
  hubEventId,
  pageSizeOf,
  type PartitionPosition,
  type Replay,
  type ReplayCounters,
} from "../../domain/replay";
import { indexWebhooks } from "../../domain/webhookIndex";
import { decodeEvent } from "../ingest/ingest";

interface Clock {
  now(): Date;
}

/** One partition's page: the deliveries it planned for the replay's webhook and where the partition stands after. */
export interface PartitionPage {
  readonly partitionId: string;
  readonly position: PartitionPosition;
  /** First and last sequence number read (absent: nothing read). */
  readonly first?: number;
  readonly last?: number;
  readonly eventsRead: number;
  readonly deliveries: ReadonlyArray<Delivery>;
  /** The webhook orders per subject: the page goes in rounds of at most one delivery per subject. */
  readonly ordered?: boolean;
}

/** What the read activity hands the replay orchestration: a page per unfinished partition, or stop. */
export type ReplayStep =
  | { readonly kind: "stop"; readonly state: Replay["state"] | "missing" }
  | { readonly kind: "page"; readonly rate: number; readonly pages: ReadonlyArray<PartitionPage> };

export interface ReplayReadDeps {
  readonly replays: Pick<ReplayStore, "get" | "update">;
  readonly webhooks: Pick<CachedWebhookStore, "listCached">;
  readonly hub: Pick<HubReader, "partitionIds" | "readPage">;
  readonly clock: Clock;
}

const startOf = (replay: Replay, position: PartitionPosition): PageStart =>
  position.sequenceNumber === undefined
    ? { enqueuedFrom: replay.from }
    : { afterSequenceNumber: position.sequenceNumber };

/**
 * Plans one page of events for the replay's webhook only, with its current subscriptions and attributes: every
 * webhook is routed (so remapping and per-webhook indexes are exactly the live path's, and so are the delivery ids),
 * then only this webhook's deliveries of the replayed event names are kept. Failure policy: an event that does not
 * decode was rejected live too (RejectedEvents); it is counted as read and skipped.
 */
const planPage = (
  replay: Replay,
  partitionId: string,
  events: ReadonlyArray<HubEvent>,
  index: ReturnType<typeof indexWebhooks>,
): Delivery[] => {
  const names = new Set<string>(replay.events);
  return events.flatMap((hubEvent) => {
    const decoded = decodeEvent(hubEvent.body);
    if (decoded._tag === "Left") return [];
    const planned = planDeliveries(hubEventId(partitionId, hubEvent), decoded.right, index);
    return planned
      .filter((d) => d.webhookId === replay.webhookId && names.has(d.message.name))
      .map((d) => ({ ...d, replayId: replay.id }));
  });
};

/**
 * The read step: one bounded page per unfinished partition, starting after the recorded position (or at `from`
 * the first time), cut at `to`. Reads nothing from the record but what it needs, writes nothing but the partition
 * list the first time (and `failed` when the webhook is gone): positions are recorded only once the page's
 * deliveries were handed over (the record activity).
 */
export const makeReplayReadActivity =
  (deps: ReplayReadDeps) =>
  async (input: { webhookId: string; replayId: string }): Promise<ReplayStep> => {
    let replay = await deps.replays.get(input.webhookId, input.replayId);
    if (replay === undefined) return { kind: "stop", state: "missing" };
    if (replay.state !== "running") return { kind: "stop", state: replay.state };
    const list = await deps.webhooks.listCached();
    if (!list.some((s) => s.webhook.id === replay?.webhookId)) {
      // Failure policy: the webhook was deleted; there is no one to replay to. The replay ends as failed.
      const failed = await deps.replays.update(input.webhookId, input.replayId, (r) =>
        r.state === "running"
          ? {
              ...r,
              state: "failed",
              error: "the webhook was deleted",
              finishedAt: deps.clock.now().toISOString(),
            }
          : undefined,
      );
      return { kind: "stop", state: failed?.state ?? "missing" };
    }
    if (Object.keys(replay.partitions).length === 0) {
      const ids = await deps.hub.partitionIds();
      const partitions = Object.fromEntries(ids.map((id) => [id, { finished: false }]));
      replay =
        (await deps.replays.update(input.webhookId, input.replayId, (r) =>
          Object.keys(r.partitions).length === 0 ? { ...r, partitions } : undefined,
        )) ?? replay;
    }
    const current = replay;
    const open = Object.entries(current.partitions).filter(([, p]) => !p.finished);
    const size = pageSizeOf(current.rate, open.length);
    const index = indexWebhooks(list.map((s) => s.webhook));
    const ordered = list.some(
      (s) => s.webhook.id === current.webhookId && s.webhook.ordering === "per-subject",
    );
    const pages = await Promise.all(
      open.map(async ([partitionId, position]): Promise<PartitionPage> => {
        const read = await deps.hub.readPage(partitionId, startOf(current, position), size);
        const next = advance({
          position,
          page: read.events,
          from: current.from,
          to: current.to,
          end: read.end,
        });
        const first = next.kept[0]?.sequenceNumber;
        const last = next.kept.at(-1)?.sequenceNumber;
        return {
          partitionId,
          position: next.position,
          ...(first === undefined || last === undefined ? {} : { first, last }),
          eventsRead: next.kept.length,
          deliveries: planPage(current, partitionId, next.kept, index),
          ...(ordered ? { ordered } : {}),
        };
      }),
    );
    return { kind: "page", rate: current.rate, pages };
  };

export interface ReplayRecordInput {
  readonly webhookId: string;
  readonly replayId: string;
  /** The orchestration's step: a record already at this step was written by an earlier run of this activity. */
  readonly step: number;
  readonly positions: Readonly<Record<string, PartitionPosition>>;
  readonly counts: ReplayCounters;
  /** Set when the orchestration gives up (an activity failed after its retries). */
  readonly error?: string;
}

/**
 * Records a step once its deliveries were handed over: the new positions, the counts, and `completed` once every
 * partition reached `to`. Idempotent per step (a re-run adds nothing twice). A cancelled replay keeps its state
 * but still gets the counts of the page that was in flight.
 */
export const makeReplayRecordActivity =
  (deps: { replays: Pick<ReplayStore, "update">; clock: Clock }) =>
  async (input: ReplayRecordInput): Promise<Replay["state"] | "missing"> => {
    const stored = await deps.replays.update(input.webhookId, input.replayId, (r) => {
      if (r.step >= input.step) return undefined;
      const partitions = { ...r.partitions, ...input.positions };
      const next: Replay = { ...r, step: input.step, partitions, counts: addCounts(r.counts, input.counts) };
      if (r.state !== "running") return next;
      const finishedAt = deps.clock.now().toISOString();
      if (input.error !== undefined) return { ...next, state: "failed", error: input.error, finishedAt };
      return allFinished(partitions) ? { ...next, state: "completed", finishedAt } : next;
    });
    return stored?.state ?? "missing";
  };
