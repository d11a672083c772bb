import {
  odata,
  RestError,
  type TableClient,
  type TableEntity,
  type TransactionAction,
} from "@azure/data-tables";

import { toRows } from "./packing";

/** Row-level helpers over one table whose partitions are instances: prefix reads, packed writes, bulk deletes. */

/** Characters per entity-group transaction (4 MiB limit, UTF-16 plus overhead). */
export const TRANSACTION_CHARS = 1_500_000;

export type Row = TableEntity & Record<string, unknown>;

export const pad = (n: number, width: number): string => String(n).padStart(width, "0");
export const partKey = (prefix: string, part: number): string => `${prefix}-${pad(part, 4)}`;

export const isStatus =
  (code: number) =>
  (error: unknown): boolean =>
    error instanceof RestError && error.statusCode === code;

export class TableRows {
  constructor(readonly table: TableClient) {}

  async rowsWithPrefix(
    instanceId: string,
    prefix: string,
  ): Promise<Array<TableEntity & Record<string, unknown>>> {
    const filter =
      prefix === ""
        ? odata`PartitionKey eq ${instanceId}`
        : odata`PartitionKey eq ${instanceId} and RowKey ge ${prefix} and RowKey lt ${prefix + "~"}`;
    const rows: Array<TableEntity & Record<string, unknown>> = [];
    for await (const row of this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter },
    })) {
      rows.push(row as TableEntity & Record<string, unknown>);
    }
    return rows;
  }

  async writeRows(instanceId: string, prefix: string, text: string): Promise<void> {
    const entities = toRows(text).map((row, part) => ({
      partitionKey: instanceId,
      rowKey: partKey(prefix, part),
      ...row,
    }));
    if (entities.length === 1 && entities[0] !== undefined) {
      await this.table.upsertEntity(entities[0], "Replace");
      return;
    }
    // A transaction holds at most 100 entities and 4 MiB: 4 rows of up to 840 KB each.
    for (let i = 0; i < entities.length; i += 4) {
      const actions: TransactionAction[] = entities.slice(i, i + 4).map((e) => ["upsert", e, "Replace"]);
      await this.table.submitTransaction(actions);
    }
  }

  /** Deletes rows, 100 per transaction; a transaction that fails (a row already gone) is redone row by row. */
  async deleteRows(instanceId: string, rowKeys: readonly string[]): Promise<void> {
    for (let i = 0; i < rowKeys.length; i += 100) {
      const chunk = rowKeys.slice(i, i + 100);
      try {
        await this.table.submitTransaction(
          chunk.map((rowKey) => ["delete", { partitionKey: instanceId, rowKey }]),
        );
      } catch {
        for (const rowKey of chunk) {
          await this.table.deleteEntity(instanceId, rowKey).catch((error: unknown) => {
            if (!isStatus(404)(error)) throw error;
          });
        }
      }
    }
  }
}
