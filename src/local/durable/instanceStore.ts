import { odata, RestError, TableClient, type TableEntity, type TransactionAction } from "@azure/data-tables";

import type { HistoryEvent } from "./historyEvents";
import { asciiJson, fromRows, packInline, splitText, toRows, unpackInline } from "./packing";

/**
 * Table Storage persistence in `<hub>Instances`, one partition per instance: the meta row `meta` (status, input,
 * output, timestamps, episode count) guarded by its ETag; packed episodes `e-<execution>-<episode>-<part>` (an
 * episode counts once the meta row counts it); inbox items `i-<key>-<part>` (results not yet folded); large
 * payloads `p-<execution>-<field>-<part>`. An episode commit is one entity-group transaction when it fits:
 * episode rows, the meta row (ETag-checked) and the deletion of the inbox items it folded.
 */

export type RuntimeStatus = "Pending" | "Running" | "Completed" | "Failed" | "Terminated";
export const isFinished = (s: RuntimeStatus): boolean =>
  s === "Completed" || s === "Failed" || s === "Terminated";

export interface InstanceMeta {
  readonly instanceId: string;
  readonly name: string;
  readonly executionId: string;
  readonly runtimeStatus: RuntimeStatus;
  readonly createdTime: string;
  readonly lastUpdatedTime: string;
  readonly episodeCount: number;
  readonly input?: string;
  readonly output?: string;
  readonly customStatus?: string;
  readonly parentInstanceId?: string;
  readonly parentExecutionId?: string;
  readonly parentTaskId?: number;
}

export interface InboxItem {
  readonly key: string;
  readonly executionId: string;
  readonly event: HistoryEvent;
}

const INLINE_CHUNKS = 3;
/** Characters per group-commit transaction (4 MiB limit, UTF-16 plus overhead). */
const TRANSACTION_CHARS = 1_500_000;

const inlineFits = (json: string | undefined): boolean =>
  json === undefined || splitText(asciiJson(json)).length <= INLINE_CHUNKS;

interface InboxQueue {
  items: Array<{ entity: TableEntity; size: number; resolve: () => void; reject: (error: unknown) => void }>;
  flushing: boolean;
}
const pad = (n: number, width: number): string => String(n).padStart(width, "0");
const partKey = (prefix: string, part: number): string => `${prefix}-${pad(part, 4)}`;

export const isStatus =
  (code: number) =>
  (error: unknown): boolean =>
    error instanceof RestError && error.statusCode === code;

export class InstanceStore {
  readonly history: TableClient;
  private readonly writtenPayloads = new Set<string>();
  private inboxCounter = 0;
  private readonly inboxQueues = new Map<string, InboxQueue>();

  constructor(connection: string, taskHub: string) {
    const options = { allowInsecureConnection: true };
    this.history = TableClient.fromConnectionString(connection, `${taskHub}Instances`, options);
  }

  async ensureTables(): Promise<void> {
    await this.history.createTable();
  }

  async readMeta(instanceId: string): Promise<{ meta: InstanceMeta; etag: string } | undefined> {
    try {
      const entity = await this.history.getEntity<Record<string, unknown>>(instanceId, "meta");
      return { meta: await this.decodeMeta(entity), etag: entity.etag };
    } catch (error) {
      if (isStatus(404)(error)) return undefined;
      throw error;
    }
  }

  async *listMetas(): AsyncGenerator<InstanceMeta> {
    const queryOptions = { filter: odata`RowKey eq ${"meta"}` };
    for await (const entity of this.history.listEntities<Record<string, unknown>>({ queryOptions })) {
      yield await this.decodeMeta(entity);
    }
  }

  /** Creates the meta row, or replaces it when `etag` is given; returns the new ETag. 409/412 on a race. */
  async writeMeta(meta: InstanceMeta, etag?: string): Promise<string> {
    const entity = await this.encodeMeta(meta);
    const result =
      etag === undefined
        ? await this.history.createEntity(entity)
        : await this.history.updateEntity(entity, "Replace", { etag });
    return result.etag ?? "";
  }

  async readHistory(instanceId: string, executionId: string, episodeCount: number): Promise<HistoryEvent[]> {
    const rows = await this.rowsWithPrefix(instanceId, `e-${executionId}-`);
    const events: HistoryEvent[] = [];
    for (let episode = 0; episode < episodeCount; episode++) {
      const prefix = `e-${executionId}-${pad(episode, 8)}-`;
      const text = fromRows(rows.filter((r) => r.rowKey.startsWith(prefix)));
      if (text === undefined) throw new Error(`Episode ${episode} of an instance is incomplete in storage`);
      events.push(...(JSON.parse(text) as HistoryEvent[]));
    }
    return events;
  }

  /**
   * Commits an episode: its rows, then the meta row that counts it (under `etag`), and the deletion of the inbox
   * items it folded; all in one transaction when they fit. Returns the meta row's new ETag.
   */
  async commitEpisode(
    meta: InstanceMeta,
    etag: string,
    events: readonly HistoryEvent[],
    folded: readonly string[],
  ) {
    const episodeRows = toRows(JSON.stringify(events)).map((row, part) => ({
      partitionKey: meta.instanceId,
      rowKey: partKey(`e-${meta.executionId}-${pad(meta.episodeCount - 1, 8)}`, part),
      ...row,
    }));
    const metaEntity = await this.encodeMeta(meta);
    const deletes = this.inboxRowKeys(folded).map((rowKey) => ({ partitionKey: meta.instanceId, rowKey }));
    const size = episodeRows.reduce(
      (n, r) => n + JSON.stringify(r).length,
      JSON.stringify(metaEntity).length,
    );
    const together = episodeRows.length + 1 + deletes.length <= 100 && size < TRANSACTION_CHARS;
    if (!together) {
      for (const row of episodeRows) await this.history.upsertEntity(row, "Replace");
    }
    const first: TransactionAction[] = [
      ...(together ? episodeRows.map((r): TransactionAction => ["upsert", r, "Replace"]) : []),
      ["update", metaEntity, "Replace", { etag }],
      ...deletes.slice(0, together ? deletes.length : 99).map((d): TransactionAction => ["delete", d]),
    ];
    const response = await this.history.submitTransaction(first);
    if (!together)
      await this.deleteRows(
        meta.instanceId,
        deletes.slice(99).map((d) => d.rowKey),
      );
    // Sub-responses come in action order (Azurite leaves rowKey out).
    const metaIndex = first.findIndex((action) => action[1].rowKey === "meta");
    const newEtag = response.subResponses[metaIndex]?.etag;
    if (newEtag === undefined)
      throw new Error("The meta row's new ETag is missing from the transaction response");
    return newEtag;
  }

  /**
   * Persists one result for an instance before it is folded; resolves with the event stamped with its inbox id
   * (`<key>.<rows>`). Writes to one instance are group-committed: up to 100 rows per entity-group transaction.
   */
  async writeInbox(instanceId: string, executionId: string, event: HistoryEvent): Promise<HistoryEvent> {
    const key = `${pad(Date.now(), 14)}${pad(this.inboxCounter++ % 1_000_000, 6)}`;
    let count = 1;
    let stamped: HistoryEvent = { ...event, InboxKey: `${key}.${count}` };
    let text = JSON.stringify({ executionId, event: stamped });
    while (toRows(text).length !== count) {
      count = toRows(text).length;
      stamped = { ...event, InboxKey: `${key}.${count}` };
      text = JSON.stringify({ executionId, event: stamped });
    }
    const [row, ...more] = toRows(text);
    if (row === undefined || more.length > 0) {
      await this.writeRows(instanceId, `i-${key}`, text);
      return stamped;
    }
    const entity = { partitionKey: instanceId, rowKey: partKey(`i-${key}`, 0), ...row };
    await new Promise<void>((resolve, reject) => {
      const queue = this.inboxQueues.get(instanceId) ?? { items: [], flushing: false };
      this.inboxQueues.set(instanceId, queue);
      queue.items.push({ entity, size: text.length, resolve, reject });
      void this.flushInbox(instanceId, queue);
    });
    return stamped;
  }

  private async flushInbox(instanceId: string, queue: InboxQueue): Promise<void> {
    if (queue.flushing) return;
    queue.flushing = true;
    while (queue.items.length > 0) {
      let size = 0;
      let n = 0;
      while (n < queue.items.length && n < 100 && size + (queue.items[n]?.size ?? 0) < TRANSACTION_CHARS) {
        size += queue.items[n]?.size ?? 0;
        n++;
      }
      const batch = queue.items.splice(0, Math.max(n, 1));
      try {
        await this.history.submitTransaction(batch.map((i) => ["upsert", i.entity, "Replace"]));
        batch.forEach((i) => i.resolve());
      } catch (error) {
        batch.forEach((i) => i.reject(error));
      }
    }
    queue.flushing = false;
    if (this.inboxQueues.get(instanceId) === queue && queue.items.length === 0)
      this.inboxQueues.delete(instanceId);
  }

  async readInbox(instanceId: string): Promise<InboxItem[]> {
    const rows = await this.rowsWithPrefix(instanceId, "i-");
    const byKey = new Map<string, typeof rows>();
    for (const row of rows) {
      const key = row.rowKey.slice(2, row.rowKey.lastIndexOf("-"));
      byKey.set(key, [...(byKey.get(key) ?? []), row]);
    }
    const items: InboxItem[] = [];
    for (const [key, parts] of byKey) {
      const text = fromRows(parts);
      // Failure policy: a half-written item is ignored; its activity has no result and is sent again.
      if (text === undefined) continue;
      const { executionId, event } = JSON.parse(text) as { executionId: string; event: HistoryEvent };
      items.push({ key: `${key}.${parts.length}`, executionId, event });
    }
    return items.sort((a, b) => a.key.localeCompare(b.key));
  }

  /** Deletes inbox items by id (`<key>.<rows>`); already deleted rows are fine. */
  async deleteInbox(instanceId: string, ids: readonly string[]): Promise<void> {
    await this.deleteRows(instanceId, this.inboxRowKeys(ids));
  }

  private inboxRowKeys(ids: readonly string[]): string[] {
    return ids.flatMap((id) => {
      const dot = id.lastIndexOf(".");
      const key = id.slice(0, dot);
      return Array.from({ length: Number(id.slice(dot + 1)) }, (_, part) => partKey(`i-${key}`, part));
    });
  }

  /** Deletes the episode and payload rows of one (replaced) execution. */
  async deleteExecution(instanceId: string, executionId: string): Promise<void> {
    const rows = [
      ...(await this.rowsWithPrefix(instanceId, `e-${executionId}-`)),
      ...(await this.rowsWithPrefix(instanceId, `p-${executionId}-`)),
    ];
    await this.deleteRows(
      instanceId,
      rows.map((r) => r.rowKey),
    );
  }

  /** Deletes everything stored for an instance; returns how many instances were deleted (0 or 1). */
  async purge(instanceId: string): Promise<number> {
    const rows = await this.rowsWithPrefix(instanceId, "");
    await this.deleteRows(
      instanceId,
      rows.map((r) => r.rowKey),
    );
    return rows.some((r) => r.rowKey === "meta") ? 1 : 0;
  }

  private async rowsWithPrefix(
    instanceId: string,
    prefix: string,
  ): Promise<Array<TableEntity & Record<string, unknown>>> {
    const filter =
      prefix === ""
        ? odata`PartitionKey eq ${instanceId}`
        : odata`PartitionKey eq ${instanceId} and RowKey ge ${prefix} and RowKey lt ${prefix + "~"}`;
    const rows: Array<TableEntity & Record<string, unknown>> = [];
    for await (const row of this.history.listEntities<Record<string, unknown>>({
      queryOptions: { filter },
    })) {
      rows.push(row as TableEntity & Record<string, unknown>);
    }
    return rows;
  }

  private async writeRows(instanceId: string, prefix: string, text: string): Promise<void> {
    const entities = toRows(text).map((row, part) => ({
      partitionKey: instanceId,
      rowKey: partKey(prefix, part),
      ...row,
    }));
    if (entities.length === 1 && entities[0] !== undefined) {
      await this.history.upsertEntity(entities[0], "Replace");
      return;
    }
    // A transaction holds at most 100 entities and 4 MiB: 4 rows of up to 840 KB each.
    for (let i = 0; i < entities.length; i += 4) {
      const actions: TransactionAction[] = entities.slice(i, i + 4).map((e) => ["upsert", e, "Replace"]);
      await this.history.submitTransaction(actions);
    }
  }

  /** Deletes rows, 100 per transaction; a transaction that fails (a row already gone) is redone row by row. */
  private async deleteRows(instanceId: string, rowKeys: readonly string[]): Promise<void> {
    for (let i = 0; i < rowKeys.length; i += 100) {
      const chunk = rowKeys.slice(i, i + 100);
      try {
        await this.history.submitTransaction(
          chunk.map((rowKey) => ["delete", { partitionKey: instanceId, rowKey }]),
        );
      } catch {
        for (const rowKey of chunk) {
          await this.history.deleteEntity(instanceId, rowKey).catch((error: unknown) => {
            if (!isStatus(404)(error)) throw error;
          });
        }
      }
    }
  }

  private async encodeMeta(meta: InstanceMeta): Promise<TableEntity & Record<string, unknown>> {
    const { input, output, customStatus, ...plain } = meta;
    return {
      partitionKey: meta.instanceId,
      rowKey: "meta",
      ...Object.fromEntries(Object.entries(plain).filter(([, v]) => v !== undefined)),
      ...(await this.packField(meta, "input", input)),
      ...(await this.packField(meta, "output", output)),
      // Failure policy: a custom status past 90 KB is replaced by a marker (Azure caps it at 16 KB).
      ...packInline("customStatus", inlineFits(customStatus) ? customStatus : '"custom status too large"'),
    };
  }

  /** Small payloads live in the meta row; large ones in payload rows of the History table. */
  private async packField(meta: InstanceMeta, field: string, text: string | undefined) {
    if (text === undefined || inlineFits(text)) return packInline(field, text);
    const written = `${meta.instanceId}\u0000${meta.executionId}\u0000${field}`;
    if (!this.writtenPayloads.has(written)) {
      await this.writeRows(meta.instanceId, `p-${meta.executionId}-${field}`, text);
      this.writtenPayloads.add(written);
    }
    return { [`${field}_p`]: true };
  }

  private async unpackField(
    entity: Readonly<Record<string, unknown>>,
    field: string,
  ): Promise<string | undefined> {
    if (entity[`${field}_p`] !== true) return unpackInline(entity, field);
    const prefix = `p-${String(entity.executionId)}-${field}-`;
    return fromRows(await this.rowsWithPrefix(String(entity.instanceId), prefix));
  }

  private async decodeMeta(entity: Readonly<Record<string, unknown>>): Promise<InstanceMeta> {
    const str = (key: string): string | undefined =>
      typeof entity[key] === "string" ? entity[key] : undefined;
    return {
      instanceId: str("instanceId") ?? "",
      name: str("name") ?? "",
      executionId: str("executionId") ?? "",
      runtimeStatus: (str("runtimeStatus") ?? "Pending") as RuntimeStatus,
      createdTime: str("createdTime") ?? "",
      lastUpdatedTime: str("lastUpdatedTime") ?? "",
      episodeCount: typeof entity.episodeCount === "number" ? entity.episodeCount : 0,
      input: await this.unpackField(entity, "input"),
      output: await this.unpackField(entity, "output"),
      customStatus: unpackInline(entity, "customStatus"),
      parentInstanceId: str("parentInstanceId"),
      parentExecutionId: str("parentExecutionId"),
      parentTaskId: typeof entity.parentTaskId === "number" ? entity.parentTaskId : undefined,
    };
  }
}
