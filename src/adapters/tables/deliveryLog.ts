import { odata, type TableClient } from "@azure/data-tables";

import { tableInitializer } from "./tableErrors";

/** One delivery attempt as the log keeps it: no body, no headers, no secrets. */
export interface DeliveryAttempt {
  readonly webhookId: string;
  readonly deliveryId: string;
  readonly eventName: string;
  readonly attempt: number;
  /** "delivered" | "retryable" | "permanent" | "skipped" */
  readonly outcome: string;
  readonly status?: number;
  readonly error?: string;
  readonly latencyMs: number;
  readonly at: string;
}

export interface DeliveryLog {
  readonly record: (attempts: ReadonlyArray<DeliveryAttempt>) => Promise<void>;
  /** Newest first. */
  readonly list: (webhookId: string, limit: number) => Promise<ReadonlyArray<DeliveryAttempt>>;
  /** Deletes attempts older than `before`; returns how many. */
  readonly purge: (before: Date) => Promise<number>;
}

const MAX_TICKS = 9_999_999_999_999;

/** Row keys sort ascending, so an inverted time puts the newest attempt first in a partition (= webhook). */
const rowKeyOf = (attempt: DeliveryAttempt): string =>
  `${String(MAX_TICKS - Date.parse(attempt.at)).padStart(13, "0")}_${attempt.deliveryId}_${String(attempt.attempt).padStart(3, "0")}`;

const BATCH = 100;

export const makeTableDeliveryLog = (client: TableClient): DeliveryLog => {
  const ready = tableInitializer(client);
  return {
    async record(attempts) {
      if (attempts.length === 0) return;
      await ready();
      const byWebhook = new Map<string, DeliveryAttempt[]>();
      for (const a of attempts) byWebhook.set(a.webhookId, [...(byWebhook.get(a.webhookId) ?? []), a]);
      const batches: Promise<unknown>[] = [];
      for (const [webhookId, list] of byWebhook) {
        // Entity group transactions: up to 100 rows of one partition in one request.
        for (let i = 0; i < list.length; i += BATCH) {
          const actions = list.slice(i, i + BATCH).map(
            (a) =>
              [
                "upsert",
                {
                  partitionKey: webhookId,
                  rowKey: rowKeyOf(a),
                  deliveryId: a.deliveryId,
                  eventName: a.eventName,
                  attempt: a.attempt,
                  outcome: a.outcome,
                  ...(a.status === undefined ? {} : { status: a.status }),
                  ...(a.error === undefined ? {} : { error: a.error }),
                  latencyMs: a.latencyMs,
                  at: a.at,
                },
                "Replace",
              ] as const,
          );
          batches.push(client.submitTransaction(actions.map((a) => [...a])));
        }
      }
      await Promise.all(batches);
    },

    async list(webhookId, limit) {
      await ready();
      const items: DeliveryAttempt[] = [];
      const entities = client.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey eq ${webhookId}` },
      });
      for await (const e of entities) {
        items.push({
          webhookId,
          deliveryId: String(e.deliveryId),
          eventName: String(e.eventName),
          attempt: Number(e.attempt),
          outcome: String(e.outcome),
          ...(typeof e.status === "number" ? { status: e.status } : {}),
          ...(typeof e.error === "string" ? { error: e.error } : {}),
          latencyMs: Number(e.latencyMs),
          at: String(e.at),
        });
        if (items.length >= limit) break;
      }
      return items;
    },

    async purge(before) {
      await ready();
      let purged = 0;
      const entities = client.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`at lt ${before.toISOString()}`, select: ["PartitionKey", "RowKey"] },
      });
      for await (const e of entities) {
        await client.deleteEntity(String(e.partitionKey), String(e.rowKey));
        purged++;
      }
      return purged;
    },
  };
};
