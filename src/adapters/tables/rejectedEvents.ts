import { odata, type TableClient } from "@azure/data-tables";

import { tableInitializer } from "./tableErrors";

export const MAX_RAW_BYTES = 32 * 1024;

/** An incoming event that did not decode, kept so operators (and IO core) can see what was refused and why. */
export interface RejectedEvent {
  readonly hub: string;
  readonly partitionId: string;
  readonly sequenceNumber: number;
  readonly enqueuedTime?: string;
  /** Codec paths and expectations (e.g. "/payload/fiscalCode: must be FiscalCode"), never values. */
  readonly reasons: ReadonlyArray<string>;
  /** The raw body, truncated to 32 KB. */
  readonly raw: string;
}

export interface RejectedEventsStore {
  readonly record: (events: ReadonlyArray<RejectedEvent>) => Promise<void>;
  readonly list: (options?: {
    partitionId?: string;
    limit?: number;
  }) => Promise<ReadonlyArray<RejectedEvent>>;
}

/** Truncates to at most `max` UTF-8 bytes without splitting a character. */
export const capUtf8 = (text: string, max = MAX_RAW_BYTES): { text: string; truncated: boolean } => {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= max) return { text, truncated: false };
  let end = max;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return { text: bytes.subarray(0, end).toString("utf8"), truncated: true };
};

const rowKeyOf = (sequenceNumber: number): string => String(sequenceNumber).padStart(20, "0");

/**
 * One row per rejected event: partition "<hub>:<partition>", row key the zero-padded sequence number.
 * Failure policy: a redelivered batch upserts the same rows, so a rejection is recorded once however often it
 * is seen.
 */
export const makeTableRejectedEventsStore = (client: TableClient): RejectedEventsStore => {
  const ready = tableInitializer(client);
  return {
    async record(events) {
      if (events.length === 0) return;
      await ready();
      await Promise.all(
        events.map((event) => {
          const raw = capUtf8(event.raw);
          return client.upsertEntity(
            {
              partitionKey: `${event.hub}:${event.partitionId}`,
              rowKey: rowKeyOf(event.sequenceNumber),
              hub: event.hub,
              partitionId: event.partitionId,
              sequenceNumber: event.sequenceNumber,
              enqueuedTime: event.enqueuedTime ?? "",
              reasons: JSON.stringify(event.reasons),
              raw: raw.text,
              rawTruncated: raw.truncated,
            },
            "Replace",
          );
        }),
      );
    },
    async list(options = {}) {
      await ready();
      const limit = options.limit ?? 100;
      const filter =
        options.partitionId === undefined ? undefined : odata`partitionId eq ${options.partitionId}`;
      const items: RejectedEvent[] = [];
      const entities = client.listEntities<Record<string, unknown>>({
        queryOptions: filter === undefined ? {} : { filter },
      });
      for await (const e of entities) {
        items.push({
          hub: String(e.hub),
          partitionId: String(e.partitionId),
          sequenceNumber: Number(e.sequenceNumber),
          ...(typeof e.enqueuedTime === "string" && e.enqueuedTime !== ""
            ? { enqueuedTime: e.enqueuedTime }
            : {}),
          reasons: JSON.parse(String(e.reasons)) as string[],
          raw: String(e.raw),
        });
        if (items.length >= limit) break;
      }
      return items;
    },
  };
};
