import { odata, RestError, TableClient, type TableEntity, type TransactionAction } from "@azure/data-tables";

import type { HistoryEvent } from "./historyEvents";
import { fromRows, packInline, splitText, toRows, unpackInline } from "./packing";

/**
 * Table Storage persistence. `<hub>Instances`: one meta row per instance (status, input, output, timestamps),
 * guarded by its ETag. `<hub>History` (partition = instance id): packed episodes `e-<execution>-<episode>-<part>`
 * (an episode is committed once the meta row counts it), inbox items `i-<key>-<part>` (results not yet folded)
 * and large payloads `p-<execution>-<field>-<part>`.
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
const pad = (n: number, width: number): string => String(n).padStart(width, "0");
const partKey = (prefix: string, part: number): string => `${prefix}-${pad(part, 4)}`;

export const isStatus =
  (code: number) =>
  (error: unknown): boolean =>
    error instanceof RestError && error.statusCode === code;

export class InstanceStore {
  readonly instances: TableClient;
  readonly history: TableClient;
  private inboxCounter = 0;

  constructor(connection: string, taskHub: string) {
    const options = { allowInsecureConnection: true };
    this.instances = TableClient.fromConnectionString(connection, `${taskHub}Instances`, options);
    this.history = TableClient.fromConnectionString(connection, `${taskHub}History`, options);
  }

  async ensureTables(): Promise<void> {
    await Promise.all([this.instances.createTable(), this.history.createTable()]);
  }

  async readMeta(instanceId: string): Promise<{ meta: InstanceMeta; etag: string } | undefined> {
    try {
      const entity = await this.instances.getEntity<Record<string, unknown>>(instanceId, "meta");
      return { meta: await this.decodeMeta(entity), etag: entity.etag };
    } catch (error) {
      if (isStatus(404)(error)) return undefined;
      throw error;
    }
  }

  async *listMetas(): AsyncGenerator<InstanceMeta> {
    for await (const entity of this.instances.listEntities<Record<string, unknown>>()) {
      yield await this.decodeMeta(entity);
    }
  }

  /** Creates the meta row, or replaces it when `etag` is given; returns the new ETag. 409/412 on a race. */
  async writeMeta(meta: InstanceMeta, etag?: string): Promise<string> {
    const entity = await this.encodeMeta(meta);
    const result =
      etag === undefined
        ? await this.instances.createEntity(entity)
        : await this.instances.updateEntity(entity, "Replace", { etag });
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

  async writeEpisode(
    instanceId: string,
    executionId: string,
    episode: number,
    events: readonly HistoryEvent[],
  ) {
    await this.writeRows(instanceId, `e-${executionId}-${pad(episode, 8)}`, JSON.stringify(events));
  }

  /** Persists one result for an instance before it is folded; returns its inbox key. */
  async writeInbox(instanceId: string, executionId: string, event: HistoryEvent): Promise<HistoryEvent> {
    const key = `${pad(Date.now(), 14)}${pad(this.inboxCounter++ % 1_000_000, 6)}`;
    const stamped = { ...event, InboxKey: key };
    await this.writeRows(instanceId, `i-${key}`, JSON.stringify({ executionId, event: stamped }));
    return stamped;
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
      items.push({ key, executionId, event });
    }
    return items.sort((a, b) => a.key.localeCompare(b.key));
  }

  async deleteInbox(instanceId: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const rows = await this.rowsWithPrefix(instanceId, "i-");
    const wanted = new Set(keys.map((k) => `i-${k}-`));
    const doomed = rows.filter((r) => wanted.has(r.rowKey.slice(0, r.rowKey.lastIndexOf("-") + 1)));
    await this.deleteRows(
      instanceId,
      doomed.map((r) => r.rowKey),
    );
  }

  /** Deletes everything stored for an instance; returns how many instances were deleted (0 or 1). */
  async purge(instanceId: string): Promise<number> {
    const rows = await this.rowsWithPrefix(instanceId, "");
    await this.deleteRows(
      instanceId,
      rows.map((r) => r.rowKey),
    );
    try {
      await this.instances.deleteEntity(instanceId, "meta");
      return 1;
    } catch (error) {
      if (isStatus(404)(error)) return 0;
      throw error;
    }
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

  private async deleteRows(instanceId: string, rowKeys: readonly string[]): Promise<void> {
    for (let i = 0; i < rowKeys.length; i += 100) {
      const actions: TransactionAction[] = rowKeys
        .slice(i, i + 100)
        .map((rowKey) => ["delete", { partitionKey: instanceId, rowKey }]);
      await this.history.submitTransaction(actions);
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
      ...packInline("customStatus", customStatus?.slice(0, 16_000)),
    };
  }

  /** Small payloads live in the meta row; large ones in payload rows of the History table. */
  private async packField(meta: InstanceMeta, field: string, text: string | undefined) {
    if (text === undefined || splitText(text).length <= INLINE_CHUNKS) return packInline(field, text);
    await this.writeRows(meta.instanceId, `p-${meta.executionId}-${field}`, text);
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
