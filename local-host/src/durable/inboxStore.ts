import type { TableEntity } from "@azure/data-tables";

import type { HistoryEvent } from "./historyEvents";
import { fromRows, toRows } from "./packing";
import type { TableRows } from "./tableRows";
import { pad, partKey, TRANSACTION_CHARS } from "./tableRows";

/**
 * The inbox: results (activity outcomes, raised events, terminations) persisted for an instance before they are
 * folded into its history, as rows `i-<key>-<part>`. An item's id is `<key>.<rows>`, and folded items are
 * deleted in the same transaction as the episode that folds them.
 */
export interface InboxItem {
  readonly key: string;
  readonly executionId: string;
  readonly event: HistoryEvent;
}

interface InboxQueue {
  items: Array<{ entity: TableEntity; size: number; resolve: () => void; reject: (error: unknown) => void }>;
  flushing: boolean;
}

export class InboxStore {
  private counter = 0;
  private readonly queues = new Map<string, InboxQueue>();

  constructor(private readonly rows: TableRows) {}

  /**
   * Persists one result for an instance before it is folded; resolves with the event stamped with its inbox id
   * (`<key>.<rows>`). Writes to one instance are group-committed: up to 100 rows per entity-group transaction.
   */
  async write(instanceId: string, executionId: string, event: HistoryEvent): Promise<HistoryEvent> {
    const key = `${pad(Date.now(), 14)}${pad(this.counter++ % 1_000_000, 6)}`;
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
      await this.rows.writeRows(instanceId, `i-${key}`, text);
      return stamped;
    }
    const entity = { partitionKey: instanceId, rowKey: partKey(`i-${key}`, 0), ...row };
    await new Promise<void>((resolve, reject) => {
      const queue = this.queues.get(instanceId) ?? { items: [], flushing: false };
      this.queues.set(instanceId, queue);
      queue.items.push({ entity, size: text.length, resolve, reject });
      void this.flush(instanceId, queue);
    });
    return stamped;
  }

  private async flush(instanceId: string, queue: InboxQueue): Promise<void> {
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
        await this.rows.table.submitTransaction(batch.map((i) => ["upsert", i.entity, "Replace"]));
        batch.forEach((i) => i.resolve());
      } catch (error) {
        batch.forEach((i) => i.reject(error));
      }
    }
    queue.flushing = false;
    if (this.queues.get(instanceId) === queue && queue.items.length === 0) this.queues.delete(instanceId);
  }

  async read(instanceId: string): Promise<InboxItem[]> {
    const rows = await this.rows.rowsWithPrefix(instanceId, "i-");
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
  async delete(instanceId: string, ids: readonly string[]): Promise<void> {
    await this.rows.deleteRows(instanceId, this.rowKeys(ids));
  }

  rowKeys(ids: readonly string[]): string[] {
    return ids.flatMap((id) => {
      const dot = id.lastIndexOf(".");
      const key = id.slice(0, dot);
      return Array.from({ length: Number(id.slice(dot + 1)) }, (_, part) => partKey(`i-${key}`, part));
    });
  }
}
