import { odata, type TableClient, type TransactionAction } from "@azure/data-tables";
import * as E from "fp-ts/Either";

import { type AttemptResult, emptyHealth, foldAttempts, HealthRecord } from "../../domain/health";
import { inPool } from "../../domain/pool";
import { statusOf, tableInitializer } from "./tableErrors";

/** An attempt as the health store takes it: the webhook it went to and its result (a delivery log row fits). */
export type HealthAttempt = AttemptResult & { readonly webhookId: string };

export interface WebhookHealthStore {
  /**
   * Folds the attempts into their webhooks' records and writes each record once; resolves with the records as
   * written, or rejects if one of them could not be written.
   */
  readonly record: (attempts: ReadonlyArray<HealthAttempt>) => Promise<ReadonlyMap<string, HealthRecord>>;
  readonly get: (webhookId: string) => Promise<HealthRecord | undefined>;
  /** Every webhook's record: one partition, one query. */
  readonly list: () => Promise<ReadonlyMap<string, HealthRecord>>;
  readonly remove: (webhookId: string) => Promise<void>;
}

export const HEALTH_PARTITION = "health";
/** Past this many webhooks the in-memory copies (which save a read per write) are dropped and rebuilt. */
const MEMO_LIMIT = 10_000;
const WRITE_ATTEMPTS = 8;
/** Rows written at once within a round (a fan-out to many webhooks must not open a request per webhook at once). */
const PARALLEL_WRITES = 32;
/** Entity-group transactions take at most 100 operations. */
const MAX_OPS = 100;

interface Known {
  readonly record: HealthRecord;
  readonly etag: string;
}

const decode = (entity: { record?: unknown }, webhookId: string): HealthRecord => {
  const parsed = typeof entity.record === "string" ? (JSON.parse(entity.record) as unknown) : undefined;
  const decoded = HealthRecord.decode(parsed);
  if (E.isLeft(decoded)) throw new Error(`WebhookHealth table: the row of ${webhookId} has the wrong shape`);
  return decoded.right;
};

export interface HealthWrites {
  /**
   * How long attempts that change nothing but counters may wait to be written (HEALTH_FLUSH_SECONDS): every one
   * delivered, to webhooks whose last record this process wrote shows no failing streak. 0: written at once.
   */
  readonly lingerMs: number;
  /** Written once this many attempts wait, however recent (default LINGER_ATTEMPTS). */
  readonly lingerAttempts?: number;
}

/** Counter-only attempts waiting to be written, at most (a busy process writes every this many). */
export const LINGER_ATTEMPTS = 10_000;

/**
 * One row per webhook (partition "health", row key = webhook id) holding its HealthRecord as JSON. Writes are
 * grouped: attempts recorded while a write round is in flight wait and go out together in the next round, one row
 * per webhook, up to 100 rows in one entity-group transaction, so concurrent deliver activities of one process
 * share writes instead of racing. Across processes, every write is guarded by the row's ETag and redone from a
 * fresh read when another one won. Attempts that only move counters (all delivered, to a webhook without a
 * failing streak) may wait longer, up to `writes.lingerMs` or `lingerAttempts` of them: a busy webhook's health
 * then costs one transaction per that many attempts instead of one per chunk. A failure, a webhook this process
 * has not written yet, or the end of a streak is written at once, taking the waiting ones along. Waiting counts
 * are lost if the process dies (health is for operators; a failed write drops its counts the same way).
 */
export const makeTableWebhookHealth = (
  client: TableClient,
  clock: { now(): Date },
  writes: HealthWrites = { lingerMs: 0 },
): WebhookHealthStore => {
  const ready = tableInitializer(client);
  const known = new Map<string, Known>();
  const lingerAttempts = writes.lingerAttempts ?? LINGER_ATTEMPTS;
  let lingering = 0;
  let lingerTimer: NodeJS.Timeout | undefined;

  const read = async (webhookId: string): Promise<Known | undefined> => {
    try {
      const entity = await client.getEntity<{ record?: unknown }>(HEALTH_PARTITION, webhookId);
      return { record: decode(entity, webhookId), etag: entity.etag };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  };

  /** Read (or reuse the copy last written), fold, write guarded by the ETag; again from a fresh read on a race. */
  const merge = async (webhookId: string, attempts: ReadonlyArray<AttemptResult>): Promise<HealthRecord> => {
    let current = known.get(webhookId);
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      if (attempt > 0 || current === undefined) current = await read(webhookId);
      const next = foldAttempts(current?.record ?? emptyHealth, attempts, clock.now());
      const entity = { partitionKey: HEALTH_PARTITION, rowKey: webhookId, record: JSON.stringify(next) };
      try {
        const response =
          current === undefined
            ? await client.createEntity(entity)
            : await client.updateEntity(entity, "Replace", { etag: current.etag });
        if (known.size >= MEMO_LIMIT) known.clear();
        known.set(webhookId, { record: next, etag: response.etag ?? "" });
        return next;
      } catch (error) {
        // Failure policy: another writer got there first (412 stale ETag, 409 created meanwhile, 404 removed):
        // read again and fold the same attempts into what it wrote, so no attempt is counted twice or lost.
        const status = statusOf(error);
        if (status !== 412 && status !== 409 && status !== 404) {
          known.delete(webhookId);
          throw error;
        }
      }
    }
    known.delete(webhookId);
    throw new Error(`health of webhook ${webhookId} kept changing concurrently; gave up`);
  };

  type Round = Map<string, HealthRecord | Error>;
  let pending = new Map<string, AttemptResult[]>();
  let next: { promise: Promise<Round>; resolve: (round: Round) => void } | undefined;
  let flushing = false;

  /** Per row: read (or reuse), fold, write guarded by its ETag, up to PARALLEL_WRITES rows at once. */
  const writeRows = (work: ReadonlyArray<[string, AttemptResult[]]>, results: Round): Promise<void> =>
    inPool(work, PARALLEL_WRITES, async ([webhookId, attempts]) => {
      try {
        results.set(webhookId, await merge(webhookId, attempts));
      } catch (error) {
        results.set(webhookId, error instanceof Error ? error : new Error(String(error)));
      }
    });

  /**
   * Up to MAX_OPS webhooks' rows in one entity-group transaction (they share the partition): one storage
   * transaction per round instead of one per webhook. When another writer changed one of the rows (a stale
   * ETag, or a row created or removed meanwhile) the transaction changes nothing and the group is written row by
   * row from fresh reads.
   */
  const writeGroup = async (
    group: ReadonlyArray<[string, AttemptResult[]]>,
    results: Round,
  ): Promise<void> => {
    const now = clock.now();
    let plan: Array<{ webhookId: string; next: HealthRecord; action: TransactionAction }>;
    try {
      const currents: Array<Known | undefined> = [];
      await inPool(group, PARALLEL_WRITES, async ([webhookId], k) => {
        currents[k] = known.get(webhookId) ?? (await read(webhookId));
      });
      plan = group.map(([webhookId, attempts], k) => {
        const current = currents[k];
        const next = foldAttempts(current?.record ?? emptyHealth, attempts, now);
        const entity = { partitionKey: HEALTH_PARTITION, rowKey: webhookId, record: JSON.stringify(next) };
        const action: TransactionAction =
          current === undefined ? ["create", entity] : ["update", entity, "Replace", { etag: current.etag }];
        return { webhookId, next, action };
      });
    } catch {
      for (const [webhookId] of group) known.delete(webhookId);
      return writeRows(group, results);
    }
    try {
      const response = await client.submitTransaction(plan.map((p) => p.action));
      if (known.size + plan.length > MEMO_LIMIT) known.clear();
      plan.forEach(({ webhookId, next }, k) => {
        // Sub-responses come in the order of the actions.
        const etag = response.subResponses[k]?.etag;
        if (etag === undefined) known.delete(webhookId);
        else known.set(webhookId, { record: next, etag });
        results.set(webhookId, next);
      });
    } catch (error) {
      for (const [webhookId] of group) known.delete(webhookId);
      const status = statusOf(error);
      if (status === 412 || status === 409 || status === 404) return writeRows(group, results);
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const [webhookId] of group) results.set(webhookId, failure);
    }
  };

  const writeRound = async (batch: Map<string, AttemptResult[]>): Promise<Round> => {
    await ready();
    const results: Round = new Map();
    const work = [...batch];
    for (let i = 0; i < work.length; i += MAX_OPS) await writeGroup(work.slice(i, i + MAX_OPS), results);
    return results;
  };

  const pump = async (): Promise<void> => {
    if (flushing) return;
    flushing = true;
    try {
      while (pending.size > 0 && next !== undefined) {
        const batch = pending;
        const round = next;
        pending = new Map();
        next = undefined;
        lingering = 0;
        if (lingerTimer !== undefined) clearTimeout(lingerTimer);
        lingerTimer = undefined;
        round.resolve(
          await writeRound(batch).catch((error: unknown) => {
            const failure = error instanceof Error ? error : new Error(String(error));
            return new Map([...batch.keys()].map((id) => [id, failure]));
          }),
        );
      }
    } finally {
      flushing = false;
    }
  };

  /** The next write round's results (every attempt pending now goes in it), started if none is running. */
  const writeSoon = (): Promise<Round> => {
    if (next === undefined) {
      let resolve: (round: Round) => void = () => undefined;
      const promise = new Promise<Round>((r) => (resolve = r));
      next = { promise, resolve };
    }
    const round = next.promise;
    void pump();
    return round;
  };

  const onlyCounters = (attempts: ReadonlyArray<HealthAttempt>): boolean =>
    attempts.every(
      (a) => a.outcome === "delivered" && known.get(a.webhookId)?.record.consecutiveFailures === 0,
    );

  return {
    async record(attempts) {
      if (attempts.length === 0) return new Map();
      for (const { webhookId, ...result } of attempts) {
        const list = pending.get(webhookId);
        if (list === undefined) pending.set(webhookId, [result]);
        else list.push(result);
      }
      lingering += attempts.length;
      if (writes.lingerMs > 0 && lingering < lingerAttempts && onlyCounters(attempts)) {
        // Nothing to decide on (no failure): the counters go with the next write round.
        lingerTimer ??= setTimeout(() => {
          lingerTimer = undefined;
          void writeSoon();
        }, writes.lingerMs).unref();
        return new Map();
      }
      const results = await writeSoon();
      const mine = new Map<string, HealthRecord>();
      for (const webhookId of new Set(attempts.map((a) => a.webhookId))) {
        const result = results.get(webhookId);
        if (result instanceof Error) throw result;
        if (result !== undefined) mine.set(webhookId, result);
      }
      return mine;
    },

    async get(webhookId) {
      await ready();
      return (await read(webhookId))?.record;
    },

    async list() {
      await ready();
      const records = new Map<string, HealthRecord>();
      const entities = client.listEntities<{ record?: unknown }>({
        queryOptions: { filter: odata`PartitionKey eq ${HEALTH_PARTITION}` },
      });
      for await (const entity of entities)
        records.set(entity.rowKey ?? "", decode(entity, entity.rowKey ?? ""));
      return records;
    },

    async remove(webhookId) {
      await ready();
      known.delete(webhookId);
      try {
        await client.deleteEntity(HEALTH_PARTITION, webhookId);
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    },
  };
};
