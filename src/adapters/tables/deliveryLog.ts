import { odata, type TableClient } from "@azure/data-tables";
import * as t from "io-ts";

import { GroupCommitter } from "./groupCommit";
import { tableInitializer } from "./tableErrors";

/** One delivery attempt as the log keeps it: no body, no headers, no secrets. */
export const DeliveryAttempt = t.intersection(
  [
    t.type({
      webhookId: t.string,
      deliveryId: t.string,
      eventName: t.string,
      attempt: t.number,
      outcome: t.keyof({ delivered: null, retryable: null, permanent: null }),
      latencyMs: t.number,
      at: t.string,
    }),
    t.partial({
      status: t.number,
      error: t.string,
      /** The start of a failing receiver's answer (webhookSender ANSWER_BYTES), as the receiver wrote it. */
      answer: t.string,
      /** The replay from the Event Hub this attempt belongs to (absent: live delivery, ping, dead-letter replay). */
      replayId: t.string,
    }),
  ],
  "DeliveryAttempt",
);
export type DeliveryAttempt = t.TypeOf<typeof DeliveryAttempt>;

export interface DeliveryLog {
  readonly record: (attempts: ReadonlyArray<DeliveryAttempt>) => Promise<void>;
  /** Newest first. */
  readonly list: (webhookId: string, limit: number) => Promise<ReadonlyArray<DeliveryAttempt>>;
  /** Deletes attempts older than `before`; returns how many. */
  readonly purge: (before: Date) => Promise<number>;
}

const MAX_TICKS = 9_999_999_999_999;
/** One partition per second, shared by every webhook: see the key comment below. */
const BUCKET_MS = 1000;
const MAX_BUCKETS = 9_999_999_999;
/** Partitions of this layout; the layout before it (one partition per webhook and second) has `<webhookId>|`. */
const SLICE = "s|";
/** A packed row's JSON stays under a string property's 64 KB (32K UTF-16 characters; JSON here is ASCII). */
const ROW_CHARS = 30_000;
const ERROR_CHARS = 500;
/** Entity-group transactions take at most 100 operations. */
const MAX_OPS = 100;
/** A listing reads at most this many result pages (1,000 rows each) before it answers with what it found. */
const LIST_PAGES = 20;

const invertedSecond = (at: string): string =>
  String(MAX_BUCKETS - Math.floor(Date.parse(at) / BUCKET_MS)).padStart(10, "0");

const partitionKeyOf = (at: string): string => `${SLICE}${invertedSecond(at)}`;

const attemptKeyOf = (attempt: DeliveryAttempt): string =>
  `${String(MAX_TICKS - Date.parse(attempt.at)).padStart(13, "0")}_${attempt.deliveryId}_${String(attempt.attempt).padStart(3, "0")}`;

/** JSON with every non-ASCII character escaped: lengths are then sizes, and Azurite keeps the text intact. */
const asciiJson = (value: unknown): string =>
  JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );

interface Keyed {
  readonly partitionKey: string;
  /** `<webhookId>|<attempt key>`: rows of one webhook are a row-key range of each second's partition. */
  readonly rowKey: string;
  readonly webhookId: string;
  readonly at: string;
  readonly json: string;
}

const keyed = (a: DeliveryAttempt): Keyed => {
  const { webhookId, ...rest } = a;
  const error = rest.error === undefined ? {} : { error: rest.error.slice(0, ERROR_CHARS) };
  return {
    partitionKey: partitionKeyOf(a.at),
    rowKey: `${webhookId}|${attemptKeyOf(a)}`,
    webhookId,
    at: a.at,
    json: asciiJson({ ...rest, ...error }),
  };
};

type PackedRow = {
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly webhookId: string;
  readonly at: string;
  readonly count: number;
  readonly attempts: string;
};

/**
 * Packs one partition's attempts into rows per webhook of up to ROW_CHARS of JSON: `attempts` (a JSON array),
 * `count`, `webhookId` and `at` (the newest attempt's time, which retention filters on). The row key is the
 * newest attempt's key.
 */
const packRows = (partitionKey: string, items: readonly Keyed[]): PackedRow[] => {
  const sorted = [...items].sort((x, y) => (x.rowKey < y.rowKey ? -1 : x.rowKey > y.rowKey ? 1 : 0));
  const rows: PackedRow[] = [];
  let part: Keyed[] = [];
  let chars = 2;
  const close = (): void => {
    const first = part[0];
    if (first === undefined) return;
    const attempts = `[${part.map((p) => p.json).join(",")}]`;
    rows.push({
      partitionKey,
      rowKey: first.rowKey,
      webhookId: first.webhookId,
      at: first.at,
      count: part.length,
      attempts,
    });
    part = [];
    chars = 2;
  };
  for (const item of sorted) {
    const other = part[0] !== undefined && part[0].webhookId !== item.webhookId;
    if (part.length > 0 && (other || chars + item.json.length + 1 > ROW_CHARS)) close();
    part.push(item);
    chars += item.json.length + 1;
  }
  close();
  return rows;
};

/** Reads a row back: packed (`attempts`), or one attempt per row as written before packing. */
const unpack = (webhookId: string, e: Readonly<Record<string, unknown>>): DeliveryAttempt[] => {
  if (typeof e.attempts === "string")
    return (JSON.parse(e.attempts) as Array<Omit<DeliveryAttempt, "webhookId">>).map((a) => ({
      webhookId,
      ...a,
    }));
  return [
    {
      webhookId,
      deliveryId: String(e.deliveryId),
      eventName: String(e.eventName),
      attempt: Number(e.attempt),
      outcome: String(e.outcome) as DeliveryAttempt["outcome"],
      ...(typeof e.status === "number" ? { status: e.status } : {}),
      ...(typeof e.error === "string" ? { error: e.error } : {}),
      latencyMs: Number(e.latencyMs),
      at: String(e.at),
    },
  ];
};

const newestFirst = (x: DeliveryAttempt, y: DeliveryAttempt): number =>
  x.at < y.at ? 1 : x.at > y.at ? -1 : x.deliveryId < y.deliveryId ? -1 : x.deliveryId > y.deliveryId ? 1 : 0;

/**
 * Keys: partition `s|<inverted second>`, shared by every webhook; rows pack the attempts one write flush made to
 * one webhook in that second, keyed `<webhookId>|<inverted ms>_<delivery id>_<attempt>` of their newest attempt.
 * A flush is then one entity-group transaction for all the webhooks it holds (up to 100 rows): one storage
 * transaction per batch of deliveries however many webhooks they went to, where a partition per webhook and
 * second cost one per webhook (100 of 160 transactions per 1,000 deliveries at 10 webhooks, one per delivery at
 * 100; BENCHMARKS.md, "Cost per delivery"). Partitions stay small (one second), so writes stay cheap however long
 * the log grows: Azurite scans a whole partition for the row key on every write. Concurrent deliver activities
 * share flushes through the group committer.
 *
 * Reading one webhook's attempts is a query over every second's partition for that webhook's row-key range
 * (newest second first), which the service answers by scanning partitions: cheap for a webhook that had recent
 * attempts, a longer scan for one that had none for long. It reads at most LIST_PAGES result pages and answers
 * with what it found. Rows written before this layout (partition `<webhookId>|<inverted second>`) are read too.
 */
export const makeTableDeliveryLog = (client: TableClient): DeliveryLog => {
  const ready = tableInitializer(client);
  const committer = new GroupCommitter<Keyed>(
    async (partitionKey, items) => {
      const rows = packRows(partitionKey, items);
      for (let i = 0; i < rows.length; i += MAX_OPS)
        await client.submitTransaction(rows.slice(i, i + MAX_OPS).map((row) => ["upsert", row, "Replace"]));
    },
    { maxPerTransaction: 1000, distinctRowKeys: false },
  );

  /** Newest first, partition by partition, up to `limit` (whole partitions: rows of one interleave in time). */
  const read = async (webhookId: string, filter: string, limit: number): Promise<DeliveryAttempt[]> => {
    const items: DeliveryAttempt[] = [];
    let partition: string | undefined;
    let buffered: DeliveryAttempt[] = [];
    let pages = 0;
    const entities = client.listEntities<Record<string, unknown>>({ queryOptions: { filter } });
    scan: for await (const page of entities.byPage({ maxPageSize: 1000 })) {
      for (const e of page) {
        if (e.partitionKey !== partition) {
          items.push(...buffered.sort(newestFirst));
          buffered = [];
          if (items.length >= limit) break scan;
          partition = e.partitionKey;
        }
        buffered.push(...unpack(webhookId, e));
      }
      if (++pages >= LIST_PAGES) break;
    }
    items.push(...buffered.sort(newestFirst));
    return items.slice(0, limit);
  };

  return {
    async record(attempts) {
      if (attempts.length === 0) return;
      await ready();
      await committer.write(attempts.map(keyed));
    },

    async list(webhookId, limit) {
      await ready();
      // This webhook's row-key range in every second's partition ("}" follows "|"), and its partitions of the
      // layout before ("<id>|" up to "<id>}").
      const [current, before] = await Promise.all([
        read(
          webhookId,
          odata`PartitionKey ge ${SLICE} and PartitionKey lt ${"s}"} and RowKey ge ${`${webhookId}|`} and RowKey lt ${`${webhookId}}`}`,
          limit,
        ),
        read(
          webhookId,
          odata`PartitionKey ge ${`${webhookId}|`} and PartitionKey lt ${`${webhookId}}`}`,
          limit,
        ),
      ]);
      return [...current, ...before].sort(newestFirst).slice(0, limit);
    },

    async purge(before) {
      await ready();
      let purged = 0;
      const entities = client.listEntities<Record<string, unknown>>({
        queryOptions: {
          filter: odata`at lt ${before.toISOString()}`,
          select: ["PartitionKey", "RowKey", "count"],
        },
      });
      for await (const e of entities) {
        await client.deleteEntity(String(e.partitionKey), String(e.rowKey));
        purged += typeof e.count === "number" ? e.count : 1;
      }
      return purged;
    },
  };
};
