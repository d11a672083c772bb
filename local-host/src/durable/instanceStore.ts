import { odata, TableClient, type TableEntity, type TransactionAction } from "@azure/data-tables";

import { count, countersEnabled } from "../counters";
import { EventType, type HistoryEvent } from "./historyEvents";
import { InboxStore } from "./inboxStore";
import { asciiJson, fromRows, packInline, splitText, toRows, unpackInline } from "./packing";
import { isStatus, pad, partKey, TableRows, TRANSACTION_CHARS } from "./tableRows";

/**
 * Table Storage persistence in `<hub>Instances`, one partition per instance: the meta row `meta` (status, input,
 * output, timestamps, episode count) guarded by its ETag; packed episodes `e-<execution>-<episode>-<part>` (an
 * episode counts once the meta row counts it); inbox items `i-<key>-<part>` (results not yet folded); large
 * payloads `p-<execution>-<field>-<part>`. An episode commit is one entity-group transaction when it fits:
 * episode rows, the meta row (ETag-checked) and the deletion of the inbox items it folded.
 */

export type RuntimeStatus = "Pending" | "Running" | "Suspended" | "Completed" | "Failed" | "Terminated";
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

/** Work counters (counters.ts): one episode commit, its new history events by type and their JSON size. */
const countEpisode = (meta: InstanceMeta, events: readonly HistoryEvent[], jsonChars: number): void => {
  if (!countersEnabled()) return;
  count("durable.episodes");
  count("durable.historyEvents", events.length);
  count("durable.historyJsonChars", jsonChars);
  for (const e of events) {
    if (e.EventType === EventType.TaskScheduled) count("durable.activitiesScheduled");
    else if (e.EventType === EventType.TimerCreated) count("durable.timersCreated");
    else if (e.EventType === EventType.SubOrchestrationInstanceCreated)
      count("durable.subOrchestrationsCreated");
  }
  if (isFinished(meta.runtimeStatus)) count(`durable.orchestrations${meta.runtimeStatus}`);
};

const INLINE_CHUNKS = 3;
const inlineFits = (json: string | undefined): boolean =>
  json === undefined || splitText(asciiJson(json)).length <= INLINE_CHUNKS;

export class InstanceStore {
  readonly history: TableClient;
  readonly inbox: InboxStore;
  private readonly rows: TableRows;
  private readonly writtenPayloads = new Set<string>();

  constructor(connection: string, taskHub: string) {
    const options = { allowInsecureConnection: true };
    this.history = TableClient.fromConnectionString(connection, `${taskHub}Instances`, options);
    this.rows = new TableRows(this.history);
    this.inbox = new InboxStore(this.rows);
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
    const rows = await this.rows.rowsWithPrefix(instanceId, `e-${executionId}-`);
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
    const eventsJson = JSON.stringify(events);
    countEpisode(meta, events, eventsJson.length);
    const episodeRows = toRows(eventsJson).map((row, part) => ({
      partitionKey: meta.instanceId,
      rowKey: partKey(`e-${meta.executionId}-${pad(meta.episodeCount - 1, 8)}`, part),
      ...row,
    }));
    // Merge, not Replace: the input never changes within an execution, so episodes do not send it again.
    const metaEntity = await this.encodeMeta(meta, false);
    const deletes = this.inbox.rowKeys(folded).map((rowKey) => ({ partitionKey: meta.instanceId, rowKey }));
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
      ["update", metaEntity, "Merge", { etag }],
      ...deletes.slice(0, together ? deletes.length : 99).map((d): TransactionAction => ["delete", d]),
    ];
    const response = await this.history.submitTransaction(first);
    if (!together)
      await this.rows.deleteRows(
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

  /** Deletes the episode and payload rows of one (replaced) execution. */
  async deleteExecution(instanceId: string, executionId: string): Promise<void> {
    const rows = [
      ...(await this.rows.rowsWithPrefix(instanceId, `e-${executionId}-`)),
      ...(await this.rows.rowsWithPrefix(instanceId, `p-${executionId}-`)),
    ];
    await this.rows.deleteRows(
      instanceId,
      rows.map((r) => r.rowKey),
    );
  }

  /** Deletes everything stored for an instance; returns how many instances were deleted (0 or 1). */
  async purge(instanceId: string): Promise<number> {
    const rows = await this.rows.rowsWithPrefix(instanceId, "");
    await this.rows.deleteRows(
      instanceId,
      rows.map((r) => r.rowKey),
    );
    return rows.some((r) => r.rowKey === "meta") ? 1 : 0;
  }

  private async encodeMeta(
    meta: InstanceMeta,
    withInput = true,
  ): Promise<TableEntity & Record<string, unknown>> {
    const { input, output, customStatus, ...plain } = meta;
    return {
      partitionKey: meta.instanceId,
      rowKey: "meta",
      ...Object.fromEntries(Object.entries(plain).filter(([, v]) => v !== undefined)),
      ...(withInput ? await this.packField(meta, "input", input) : {}),
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
      await this.rows.writeRows(meta.instanceId, `p-${meta.executionId}-${field}`, text);
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
    return fromRows(await this.rows.rowsWithPrefix(String(entity.instanceId), prefix));
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
