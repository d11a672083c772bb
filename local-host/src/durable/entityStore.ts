import { createHash } from "node:crypto";

import { odata, type TableClient, type TransactionAction } from "@azure/data-tables";

import { eventRaised, type HistoryEvent } from "./historyEvents";
import { InboxStore } from "./inboxStore";
import { asciiJson, fromRows, packInline, splitText, unpackInline } from "./packing";
import { isStatus, TableRows } from "./tableRows";

/**
 * Durable entities in the task hub's `<hub>Instances` table, one partition per entity, keyed by its scheduler id
 * `@<name in lower case>@<key>` (the extension's form, durable-functions' EntityId.getSchedulerIdFromEntityId):
 * the row `entity` (exists, state, last operation time, the ids of recently processed requests) and inbox items
 * `i-<key>-<part>` (operation requests not yet processed, InboxStore). A state too large to sit in the row lives in
 * `p-<version>-state-<part>` rows. Orchestration ids never start with "@", so the two never share a partition.
 */

/** An operation request as it travels to an entity (the extension's RequestMessage, in its own words). */
export interface EntityRequest {
  readonly id: string;
  readonly isSignal: boolean;
  readonly operation: string;
  /** JSON text, absent without input. */
  readonly input?: string;
  /** The calling orchestration, for a call (not a signal). */
  readonly parent?: string;
  readonly parentExecution?: string;
}

export interface EntityRecord {
  readonly exists: boolean;
  /** JSON text. */
  readonly state?: string;
  readonly lastOperationTime?: string;
  /** Ids of the last RECENT_IDS requests processed, oldest first: a request delivered twice runs once. */
  readonly recent: readonly string[];
  readonly stateVersion: number;
  readonly etag?: string;
}

export interface EntityId {
  readonly name: string;
  readonly key: string;
}

export const RECENT_IDS = 300;
const ROW = "entity";
const INLINE_CHUNKS = 3;

export const schedulerId = (id: EntityId): string => `@${id.name.toLowerCase()}@${id.key}`;

/** The entity a scheduler id names, or undefined when the id is not one (it does not start with "@name@"). */
export const entityIdOf = (id: string): EntityId | undefined => {
  const at = id.indexOf("@", 1);
  if (!id.startsWith("@") || at < 2) return undefined;
  return { name: id.slice(1, at), key: id.slice(at + 1) };
};

/** A request id derived from what sent it, so that sending it again yields the same id (a UUID v5 layout). */
export const derivedRequestId = (...parts: ReadonlyArray<string | number>): string => {
  const hex = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/** The inbox item for one request: an EventRaised named "op" whose input is the request. */
export const requestEvent = (at: Date, request: EntityRequest): HistoryEvent =>
  eventRaised(at, "op", JSON.stringify(request));

export class EntityStore {
  readonly inbox: InboxStore;
  private readonly rows: TableRows;

  constructor(private readonly table: TableClient) {
    this.rows = new TableRows(table);
    this.inbox = new InboxStore(this.rows);
  }

  async read(id: string): Promise<EntityRecord> {
    let entity: Record<string, unknown> & { etag: string };
    try {
      entity = await this.table.getEntity<Record<string, unknown>>(id, ROW);
    } catch (error) {
      if (isStatus(404)(error)) return { exists: false, recent: [], stateVersion: 0 };
      throw error;
    }
    const version = typeof entity.stateVersion === "number" ? entity.stateVersion : 0;
    const state =
      entity.state_p === true
        ? fromRows(await this.rows.rowsWithPrefix(id, `p-${version}-state-`))
        : unpackInline(entity, "state");
    return {
      exists: entity.exists === true,
      state,
      lastOperationTime: typeof entity.lastOperationTime === "string" ? entity.lastOperationTime : undefined,
      recent: JSON.parse(typeof entity.recent === "string" ? entity.recent : "[]") as string[],
      stateVersion: version,
      etag: entity.etag,
    };
  }

  /**
   * Writes the entity's new record and deletes the inbox items it processed, in one transaction (`etag` guards
   * against a second writer). A large state is written to payload rows first, and the old ones dropped after.
   */
  async commit(id: string, record: EntityRecord, previous: EntityRecord, processed: readonly string[]) {
    const state = record.exists ? record.state : undefined;
    const inline = state === undefined || splitText(asciiJson(state)).length <= INLINE_CHUNKS;
    const version = previous.stateVersion + 1;
    if (state !== undefined && !inline) await this.rows.writeRows(id, `p-${version}-state`, state);
    const row = {
      partitionKey: id,
      rowKey: ROW,
      exists: record.exists,
      stateVersion: version,
      recent: JSON.stringify(record.recent.slice(-RECENT_IDS)),
      ...(record.lastOperationTime === undefined ? {} : { lastOperationTime: record.lastOperationTime }),
      ...(inline ? packInline("state", state) : { state_p: true }),
    };
    const deletes = this.inbox
      .rowKeys(processed)
      .map((rowKey): TransactionAction => ["delete", { partitionKey: id, rowKey }]);
    const write: TransactionAction =
      previous.etag === undefined ? ["create", row] : ["update", row, "Replace", { etag: previous.etag }];
    await this.table.submitTransaction([write, ...deletes.slice(0, 99)]);
    await this.rows.deleteRows(
      id,
      deletes.slice(99).map((d) => d[1].rowKey),
    );
    const stale = await this.rows.rowsWithPrefix(id, `p-${previous.stateVersion}-state-`);
    if (stale.length > 0)
      await this.rows.deleteRows(
        id,
        stale.map((r) => r.rowKey),
      );
  }

  /** Entities with requests waiting in their inbox (to resume after a restart). */
  async withPendingRequests(): Promise<string[]> {
    const filter = odata`PartitionKey ge ${"@"} and PartitionKey lt ${"A"} and RowKey ge ${"i-"} and RowKey lt ${"i."}`;
    const ids = new Set<string>();
    for await (const row of this.table.listEntities({ queryOptions: { filter, select: ["PartitionKey"] } }))
      if (typeof row.partitionKey === "string") ids.add(row.partitionKey);
    return [...ids];
  }

  /** Every stored entity of one name (scheduler ids `@name@...`), with its record. */
  async *list(name: string): AsyncGenerator<{ id: string; record: EntityRecord }> {
    const low = `@${name.toLowerCase()}@`;
    const high = `@${name.toLowerCase()}A`; // "A" follows "@"
    const filter = odata`PartitionKey ge ${low} and PartitionKey lt ${high} and RowKey eq ${ROW}`;
    for await (const row of this.table.listEntities({ queryOptions: { filter, select: ["PartitionKey"] } })) {
      const id = String(row.partitionKey);
      yield { id, record: await this.read(id) };
    }
  }
}
