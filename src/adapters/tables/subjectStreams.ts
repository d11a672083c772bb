import { odata, type TableClient, type TransactionAction } from "@azure/data-tables";

import {
  assignSequences,
  EMPTY_CURSOR,
  INITIAL_PROGRESS,
  type OrderedCandidate,
  progressAfter,
  type ProgressEvent,
  readiness,
  type Sequence,
  streamKey,
  type SubjectCursor,
  type SubjectHead,
  type SubjectProgress,
} from "../../domain/ordering";
import { statusOf, tableInitializer } from "./tableErrors";

/**
 * The state of ordered (webhook, subject) streams in one table, partitioned by webhook id so that a stream's
 * rows change together in one entity-group transaction:
 * - `c|<subjectId>` the cursor: last number given, last delivery id, per-partition stream watermarks. Written
 *   only by the ingest of the partition the subject's events arrive on.
 * - `a|<deliveryId>` one row per numbered delivery not settled yet: its number, written in the same transaction
 *   as the cursor (so a redelivered batch finds the numbers it gave) and deleted in the transaction that settles
 *   it (so the table holds only what is in flight).
 * - `p|<subjectId>` the progress: settled up to n, state, the held head. Written by the delivery path.
 * Both kinds of row are cached per process; the cache can only lag (numbers and progress only grow), and every
 * write is guarded by the ETag read, so a stale cache costs a re-read, never a wrong number.
 *
 * Subjects the process has not seen cost no read when a webhook's unseen subjects have lately been new ones:
 * their cursors are created without reading (a create fails when the row exists, so a guess that was wrong costs
 * one refused transaction, then the reads), and a stream whose cursor this process created starts with the
 * progress every new stream has, cached (no progress row can exist before its cursor). Whether to guess is
 * learnt per webhook from what the last batches found.
 */
export interface SubjectStreams {
  /** Numbers the ordered deliveries of one batch (in stream order) durably; returns each one's sequence. */
  readonly number: (candidates: ReadonlyArray<OrderedCandidate>) => Promise<NumberingResult>;
  /** The progress of streams; `atLeast` (by streamKey) asks for storage when the cache is older than that. */
  readonly progress: (
    streams: ReadonlyArray<StreamRef>,
    atLeast?: ReadonlyMap<string, number>,
  ) => Promise<ReadonlyMap<string, SubjectProgress>>;
  /** Applies what happened to deliveries, durably, in the order given per stream. */
  readonly apply: (changes: ReadonlyArray<ProgressChange>) => Promise<ReadonlyMap<string, SubjectProgress>>;
  /** The streams of a webhook that hold something (waiting or blocked), or only those in `state`. */
  readonly held: (
    webhookId: string,
    state?: "waiting" | "blocked",
  ) => Promise<ReadonlyArray<{ subjectId: string; progress: SubjectProgress }>>;
  /** One stream's progress, read from storage (for the operator API). */
  readonly get: (webhookId: string, subjectId: string) => Promise<SubjectProgress | undefined>;
}

export interface StreamRef {
  readonly webhookId: string;
  readonly subjectId: string;
}

export interface ProgressChange extends StreamRef {
  readonly event: ProgressEvent;
}

export interface NumberingResult {
  readonly sequences: ReadonlyMap<string, Sequence>;
  /** Deliveries of a redelivered batch whose number is gone (already settled): their batch already ran. */
  readonly settledBefore: ReadonlyArray<string>;
}

const CURSOR = "c|";
const ASSIGNED = "a|";
const PROGRESS = "p|";
/** Entity-group transactions take at most 100 operations. */
const MAX_OPS = 100;
const MAX_CONFLICT_RETRIES = 8;
/**
 * Guessing that unseen subjects are new: the share of a webhook's unseen subjects found new, smoothed over
 * batches (this weight for the newest), starting at 1; guess while it is at least GUESS_AT. One batch of known
 * subjects turns guessing off; three batches of new ones turn it on again.
 */
const NEWNESS_WEIGHT = 0.5;
/**
 * Streams whose cursor and progress a process keeps (each, least recently written first out): a dropped one costs
 * a read (or a guess) the next time, never a wrong number, so the cache stays bounded however many subjects come.
 */
export const CACHED_STREAMS = 100_000;
const GUESS_AT = 0.9;

interface Cached<A> {
  readonly value: A;
  /** undefined: the row does not exist (create it). */
  readonly etag?: string;
}

/** The cached progress of a stream is behind an event applied to it. */
class StaleProgress extends Error {
  constructor(readonly key: string) {
    super(`the cached progress of ${key} lags`);
  }
}

const isConflict = (error: unknown): boolean =>
  error instanceof StaleProgress || statusOf(error) === 409 || statusOf(error) === 412;

export const makeTableSubjectStreams = (
  client: TableClient,
  options: { readonly cachedStreams?: number } = {},
): SubjectStreams => {
  const ready = tableInitializer(client);
  const limit = Math.max(1, options.cachedStreams ?? CACHED_STREAMS);
  /** Sets a cache entry as the newest; past the limit the oldest goes. */
  const remember = <V>(map: Map<string, V>, key: string, value: V): void => {
    map.delete(key);
    map.set(key, value);
    if (map.size > limit) {
      const oldest = map.keys().next();
      if (oldest.done !== true) map.delete(oldest.value);
    }
  };
  const cursors = new Map<string, Cached<SubjectCursor>>();
  const progresses = new Map<string, Cached<SubjectProgress>>();
  /**
   * Cache writes per stream, so that a read which started before a write does not put older progress back. A
   * count dropped with its stream makes such a read keep what it read uncached or, at worst, cache a lagging row,
   * which the cache tolerates (see `progress` and StaleProgress).
   */
  const progressWrites = new Map<string, number>();
  const cacheProgress = (key: string, cached: Cached<SubjectProgress> | undefined): void => {
    remember(progressWrites, key, (progressWrites.get(key) ?? 0) + 1);
    if (cached === undefined) progresses.delete(key);
    else remember(progresses, key, cached);
  };

  const readRow = async (
    partitionKey: string,
    rowKey: string,
  ): Promise<Record<string, unknown> | undefined> => {
    try {
      return await client.getEntity<Record<string, unknown>>(partitionKey, rowKey);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  };

  /** Per webhook: how new its unseen subjects have been lately (see NEWNESS_WEIGHT). */
  const newness = new Map<string, number>();
  const noteNewness = (webhookId: string, found: number, fresh: number): void => {
    if (found === 0) return;
    const before = newness.get(webhookId) ?? 1;
    newness.set(webhookId, (1 - NEWNESS_WEIGHT) * before + NEWNESS_WEIGHT * (fresh / found));
  };
  const guesses = (webhookId: string): boolean => (newness.get(webhookId) ?? 1) >= GUESS_AT;

  const loadCursor = async (webhookId: string, subjectId: string): Promise<Cached<SubjectCursor>> => {
    const row = await readRow(webhookId, CURSOR + subjectId);
    const cached: Cached<SubjectCursor> =
      row === undefined ? { value: EMPTY_CURSOR } : { value: cursorFromRow(row), etag: String(row.etag) };
    remember(cursors, streamKey(webhookId, subjectId), cached);
    return cached;
  };

  const loadProgress = async (webhookId: string, subjectId: string): Promise<Cached<SubjectProgress>> => {
    const key = streamKey(webhookId, subjectId);
    const writesBefore = progressWrites.get(key) ?? 0;
    const row = await readRow(webhookId, PROGRESS + subjectId);
    const cached: Cached<SubjectProgress> =
      row === undefined
        ? { value: INITIAL_PROGRESS }
        : { value: progressFromRow(row), etag: String(row.etag) };
    // Written meanwhile (this process settled or held the stream): what was read may be older; keep the write.
    if ((progressWrites.get(key) ?? 0) !== writesBefore) return progresses.get(key) ?? cached;
    cacheProgress(key, cached);
    return cached;
  };

  /**
   * One entity-group transaction; the new ETag of each row written, by row key. Sub-responses come in the order
   * of the actions; only a create's carries its row key (from its Location), so they are matched by position.
   */
  const submit = async (actions: ReadonlyArray<TransactionAction>): Promise<Map<string, string>> => {
    const response = await client.submitTransaction([...actions]);
    const etags = new Map<string, string>();
    actions.forEach((action, i) => {
      const etag = response.subResponses[i]?.etag;
      const rowKey = action[1].rowKey;
      if (etag !== undefined && rowKey !== undefined) etags.set(rowKey, etag);
    });
    return etags;
  };

  /**
   * Numbers candidates once. Streams whose transaction was refused by a conflict (a wrong guess, another writer)
   * come back in `retry` with their cursors uncached, to be read and numbered again; the others are done.
   */
  const numberOnce = async (
    candidates: ReadonlyArray<OrderedCandidate>,
    mayGuess: boolean,
  ): Promise<NumberingResult & { retry: OrderedCandidate[]; conflict?: unknown }> => {
    const keys = new Map<string, StreamRef>();
    for (const c of candidates) keys.set(streamKey(c.webhookId, c.subjectId), c);
    /** Streams without a cursor row as far as this attempt knows (read as absent, or guessed). */
    const created = new Set<string>();
    const guessed = new Set<string>();
    const reads = new Map<string, { found: number; fresh: number }>();
    /** This attempt's cursors (the process cache may drop entries while it runs). */
    const mine = new Map<string, Cached<SubjectCursor>>();
    await Promise.all(
      [...keys].map(async ([key, ref]) => {
        const known = cursors.get(key);
        if (known !== undefined) {
          mine.set(key, known);
          return;
        }
        if (mayGuess && guesses(ref.webhookId)) {
          mine.set(key, { value: EMPTY_CURSOR });
          guessed.add(key);
          created.add(key);
          return;
        }
        const cached = await loadCursor(ref.webhookId, ref.subjectId);
        mine.set(key, cached);
        const tally = reads.get(ref.webhookId) ?? { found: 0, fresh: 0 };
        tally.found++;
        if (cached.etag === undefined) {
          tally.fresh++;
          created.add(key);
        }
        reads.set(ref.webhookId, tally);
      }),
    );
    for (const [webhookId, { found, fresh }] of reads) noteNewness(webhookId, found, fresh);
    const assignment = assignSequences((key) => mine.get(key)?.value ?? EMPTY_CURSOR, candidates);
    const sequences = new Map<string, Sequence>();
    const settledBefore: string[] = [];
    await Promise.all(
      assignment.known.map(async (c) => {
        const row = await readRow(c.webhookId, ASSIGNED + c.deliveryId);
        if (row === undefined) settledBefore.push(c.deliveryId);
        else sequences.set(c.deliveryId, sequenceFromRow(row));
      }),
    );
    // One unit per stream: its cursor and the numbers given to it, written together.
    const byWebhook = new Map<
      string,
      Array<{ key: string; subjectId: string; actions: TransactionAction[] }>
    >();
    const assignedByKey = new Map<string, Array<{ candidate: OrderedCandidate; sequence: Sequence }>>();
    for (const a of assignment.assigned) {
      const key = streamKey(a.candidate.webhookId, a.candidate.subjectId);
      assignedByKey.set(key, [...(assignedByKey.get(key) ?? []), a]);
    }
    for (const [key, cursor] of assignment.cursors) {
      const items = assignedByKey.get(key) ?? [];
      const first = items[0]?.candidate;
      if (first === undefined) continue;
      if (items.length > MAX_OPS - 1) {
        // Failure policy: a stream's cursor and its numbers must commit together; refuse rather than split.
        throw new Error(
          `a batch holds ${items.length} deliveries for one ordered stream of webhook ${first.webhookId}; at most ${MAX_OPS - 1} fit one transaction: lower the trigger's maxEventBatchSize`,
        );
      }
      const cached = mine.get(key);
      const cursorEntity = {
        partitionKey: first.webhookId,
        rowKey: CURSOR + first.subjectId,
        ...cursorToRow(cursor),
      };
      const actions: TransactionAction[] = [
        cached?.etag === undefined
          ? ["create", cursorEntity]
          : ["update", cursorEntity, "Replace", { etag: cached.etag }],
        ...items.map(({ candidate, sequence }): TransactionAction => [
          "create",
          {
            partitionKey: candidate.webhookId,
            rowKey: ASSIGNED + candidate.deliveryId,
            n: sequence.n,
            ...(sequence.previousId === undefined ? {} : { previousId: sequence.previousId }),
          },
        ]),
      ];
      const units = byWebhook.get(first.webhookId) ?? [];
      units.push({ key, subjectId: first.subjectId, actions });
      byWebhook.set(first.webhookId, units);
    }
    const retryKeys = new Set<string>();
    let conflict: unknown;
    await Promise.all(
      [...byWebhook].map(async ([webhookId, units]) => {
        for (const batch of packUnits(units)) {
          try {
            const etags = await submit(batch.flatMap((u) => u.actions));
            let guessedHere = 0;
            for (const u of batch) {
              const cursor = assignment.cursors.get(u.key);
              const etag = etags.get(CURSOR + u.subjectId);
              if (cursor !== undefined && etag !== undefined)
                remember(cursors, u.key, { value: cursor, etag });
              else cursors.delete(u.key);
              for (const { candidate, sequence } of assignedByKey.get(u.key) ?? [])
                sequences.set(candidate.deliveryId, sequence);
              if (guessed.has(u.key)) guessedHere++;
              // This transaction created the stream: it has no progress row yet.
              if (created.has(u.key) && !progresses.has(u.key))
                cacheProgress(u.key, { value: INITIAL_PROGRESS });
            }
            noteNewness(webhookId, guessedHere, guessedHere);
          } catch (error) {
            for (const u of batch) cursors.delete(u.key);
            if (!isConflict(error)) throw error;
            conflict = error;
            for (const u of batch) retryKeys.add(u.key);
          }
        }
      }),
    );
    const retry = candidates.filter((c) => retryKeys.has(streamKey(c.webhookId, c.subjectId)));
    return { sequences, settledBefore, retry, ...(conflict === undefined ? {} : { conflict }) };
  };

  const applyOnce = async (
    changes: ReadonlyArray<ProgressChange>,
    fresh: boolean,
  ): Promise<ReadonlyMap<string, SubjectProgress>> => {
    const byKey = new Map<string, { ref: StreamRef; events: ProgressEvent[] }>();
    for (const c of changes) {
      const key = streamKey(c.webhookId, c.subjectId);
      const entry = byKey.get(key) ?? { ref: c, events: [] };
      entry.events.push(c.event);
      byKey.set(key, entry);
    }
    await Promise.all(
      [...byKey].map(([key, { ref }]) =>
        !fresh && progresses.has(key)
          ? Promise.resolve(undefined)
          : loadProgress(ref.webhookId, ref.subjectId),
      ),
    );
    const results = new Map<string, SubjectProgress>();
    const byWebhook = new Map<
      string,
      Array<{ key: string; subjectId: string; next: SubjectProgress; actions: TransactionAction[] }>
    >();
    for (const [key, { ref, events }] of byKey) {
      const cached = progresses.get(key) ?? { value: INITIAL_PROGRESS };
      let next = cached.value;
      const settledIds: string[] = [];
      for (const event of events) {
        // An event past the stream's head: the cache lags (another process moved the stream). Dropping the event
        // would lose a settlement and hold the stream for ever: read storage again and re-apply.
        if (!fresh && event.n > next.settledSeq + 1) throw new StaleProgress(key);
        const after = progressAfter(next, event);
        if (after.settledSeq > next.settledSeq) settledIds.push(event.deliveryId);
        next = after;
      }
      results.set(key, next);
      if (next === cached.value) continue;
      const entity = {
        partitionKey: ref.webhookId,
        rowKey: PROGRESS + ref.subjectId,
        ...progressToRow(next),
      };
      const actions: TransactionAction[] = [
        cached.etag === undefined ? ["create", entity] : ["update", entity, "Replace", { etag: cached.etag }],
        ...settledIds.map((id): TransactionAction => [
          "delete",
          { partitionKey: ref.webhookId, rowKey: ASSIGNED + id },
        ]),
      ];
      const units = byWebhook.get(ref.webhookId) ?? [];
      units.push({ key, subjectId: ref.subjectId, next, actions });
      byWebhook.set(ref.webhookId, units);
    }
    await Promise.all(
      [...byWebhook].map(async ([, units]) => {
        for (const batch of packUnits(units)) {
          let etags: Map<string, string>;
          try {
            etags = await submit(batch.flatMap((u) => u.actions));
          } catch (error) {
            if (statusOf(error) !== 404) {
              for (const u of batch) cacheProgress(u.key, undefined);
              throw error;
            }
            // An assignment row already gone (it is only bookkeeping): write the progress without the deletes.
            etags = await submit(batch.map((u) => u.actions[0] as TransactionAction));
          }
          for (const u of batch) {
            const etag = etags.get(PROGRESS + u.subjectId);
            cacheProgress(u.key, etag === undefined ? undefined : { value: u.next, etag });
          }
        }
      }),
    );
    return results;
  };

  return {
    async number(candidates) {
      if (candidates.length === 0) return { sequences: new Map(), settledBefore: [] };
      await ready();
      const sequences = new Map<string, Sequence>();
      const settledBefore = new Set<string>();
      let pending = candidates;
      for (let attempt = 0; ; attempt++) {
        // A refused stream (its cursor existed after all, or another writer, say a second partition carrying the
        // same subject, moved it) is read and numbered again; the streams that committed keep their numbers.
        const once = await numberOnce(pending, attempt === 0);
        for (const [id, sequence] of once.sequences) sequences.set(id, sequence);
        for (const id of once.settledBefore) settledBefore.add(id);
        if (once.retry.length === 0) return { sequences, settledBefore: [...settledBefore] };
        if (attempt >= MAX_CONFLICT_RETRIES) throw once.conflict;
        pending = once.retry;
      }
    },

    async progress(streams, atLeast) {
      await ready();
      const result = new Map<string, SubjectProgress>();
      await Promise.all(
        streams.map(async (ref) => {
          const key = streamKey(ref.webhookId, ref.subjectId);
          let cached = progresses.get(key);
          const wanted = atLeast?.get(key);
          // The cache lags at worst: look again when it says the stream is not where it needs to be.
          if (cached === undefined || (wanted !== undefined && readiness(cached.value, wanted) === "held")) {
            cached = await loadProgress(ref.webhookId, ref.subjectId);
          }
          result.set(key, cached.value);
        }),
      );
      return result;
    },

    async apply(changes) {
      if (changes.length === 0) return new Map();
      await ready();
      for (let attempt = 0; ; attempt++) {
        try {
          return await applyOnce(changes, attempt > 0);
        } catch (error) {
          // Someone else (an operator, another orchestration) wrote the stream: read it again and re-apply.
          if (!isConflict(error) || attempt >= MAX_CONFLICT_RETRIES) throw error;
        }
      }
    },

    async held(webhookId, state) {
      await ready();
      const filter =
        state === undefined
          ? odata`PartitionKey eq ${webhookId} and RowKey ge ${PROGRESS} and RowKey lt ${"p}"} and state ne ${"flowing"}`
          : odata`PartitionKey eq ${webhookId} and RowKey ge ${PROGRESS} and RowKey lt ${"p}"} and state eq ${state}`;
      const items: Array<{ subjectId: string; progress: SubjectProgress }> = [];
      for await (const row of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        items.push({ subjectId: String(row.rowKey).slice(PROGRESS.length), progress: progressFromRow(row) });
      }
      return items;
    },

    async get(webhookId, subjectId) {
      await ready();
      const row = await readRow(webhookId, PROGRESS + subjectId);
      if (row !== undefined) return progressFromRow(row);
      // A stream numbered but with nothing settled yet has a cursor and no progress row.
      return (await readRow(webhookId, CURSOR + subjectId)) === undefined ? undefined : INITIAL_PROGRESS;
    },
  };
};

/** Packs units into transactions of at most MAX_OPS operations, in order. */
const packUnits = <U extends { actions: ReadonlyArray<TransactionAction> }>(
  units: ReadonlyArray<U>,
): ReadonlyArray<ReadonlyArray<U>> => {
  const batches: U[][] = [];
  let current: U[] = [];
  let ops = 0;
  for (const unit of units) {
    if (ops + unit.actions.length > MAX_OPS && current.length > 0) {
      batches.push(current);
      current = [];
      ops = 0;
    }
    current.push(unit);
    ops += unit.actions.length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
};

const cursorToRow = (cursor: SubjectCursor) => ({
  lastSeq: cursor.lastSeq,
  ...(cursor.lastDeliveryId === undefined ? {} : { lastDeliveryId: cursor.lastDeliveryId }),
  watermarks: JSON.stringify(cursor.watermarks),
});

const cursorFromRow = (row: Record<string, unknown>): SubjectCursor => ({
  lastSeq: Number(row.lastSeq),
  ...(typeof row.lastDeliveryId === "string" ? { lastDeliveryId: row.lastDeliveryId } : {}),
  watermarks: JSON.parse(typeof row.watermarks === "string" ? row.watermarks : "{}") as Record<
    string,
    number
  >,
});

const sequenceFromRow = (row: Record<string, unknown>): Sequence => ({
  n: Number(row.n),
  ...(typeof row.previousId === "string" ? { previousId: row.previousId } : {}),
});

const progressToRow = (progress: SubjectProgress) => ({
  settledSeq: progress.settledSeq,
  ...(progress.settledDeliveryId === undefined ? {} : { settledDeliveryId: progress.settledDeliveryId }),
  state: progress.state,
  ...(progress.head === undefined ? {} : { head: JSON.stringify(progress.head) }),
});

const progressFromRow = (row: Record<string, unknown>): SubjectProgress => {
  const state = row.state === "waiting" || row.state === "blocked" ? row.state : "flowing";
  return {
    settledSeq: Number(row.settledSeq ?? 0),
    ...(typeof row.settledDeliveryId === "string" ? { settledDeliveryId: row.settledDeliveryId } : {}),
    state,
    ...(typeof row.head === "string" ? { head: JSON.parse(row.head) as SubjectHead } : {}),
  };
};
