import { performance } from "node:perf_hooks";

import { EventHubProducerClient } from "@azure/event-hubs";

/**
 * Publishes with the Event Hubs SDK, each event with a message id (the dispatcher's event id). The agent's
 * producer sends bodies only; the bench needs the ids to know each delivery's webhook-id in advance.
 */

export interface OutgoingEvent {
  readonly messageId: string;
  readonly body: unknown;
}

/** Called just before a batch is sent, with the time it counts as published. */
export type OnSend = (events: ReadonlyArray<OutgoingEvent>, at: number) => void;

export interface BenchPublisher {
  readonly partitionIds: ReadonlyArray<string>;
  /** Sends the events to one partition in as few batches as fit. */
  send(events: ReadonlyArray<OutgoingEvent>, partitionId: string, onSend: OnSend): Promise<void>;
  close(): Promise<void>;
}

export const openPublisher = async (connectionString: string, hub: string): Promise<BenchPublisher> => {
  const client = new EventHubProducerClient(connectionString, hub);
  const partitionIds = await client.getPartitionIds();
  const send = async (events: ReadonlyArray<OutgoingEvent>, partitionId: string, onSend: OnSend) => {
    let batch = await client.createBatch({ partitionId });
    let inBatch: OutgoingEvent[] = [];
    for (const event of events) {
      if (batch.tryAdd({ body: event.body, messageId: event.messageId })) {
        inBatch.push(event);
        continue;
      }
      if (inBatch.length === 0) throw new Error("one bench event does not fit in a batch");
      onSend(inBatch, performance.now());
      await client.sendBatch(batch);
      batch = await client.createBatch({ partitionId });
      inBatch = [];
      if (!batch.tryAdd({ body: event.body, messageId: event.messageId }))
        throw new Error("one bench event does not fit in a batch");
      inBatch.push(event);
    }
    if (inBatch.length === 0) return;
    onSend(inBatch, performance.now());
    await client.sendBatch(batch);
  };
  return { partitionIds, send, close: () => client.close() };
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Publishes events 0..total-1 as fast as the hub takes them: batches of `batchSize`, one sender per partition. */
export const publishBurst = async (
  publisher: BenchPublisher,
  total: number,
  eventAt: (i: number) => OutgoingEvent,
  onSend: OnSend,
  batchSize = 100,
): Promise<void> => {
  let next = 0;
  const lane = async (partitionId: string): Promise<void> => {
    while (next < total) {
      const from = next;
      next = Math.min(total, next + batchSize);
      const events = Array.from({ length: next - from }, (_, k) => eventAt(from + k));
      await publisher.send(events, partitionId, onSend);
    }
  };
  await Promise.all(publisher.partitionIds.map(lane));
};

/**
 * Publishes at a steady `perSecond` for `durationMs`: every few milliseconds, the events that are due go out as
 * one batch, partitions in turn. Returns how many went out. Sends that fall behind are counted, not hidden: the
 * achieved rate is what the caller reports.
 */
export const publishSteady = async (
  publisher: BenchPublisher,
  perSecond: number,
  durationMs: number,
  eventAt: (i: number) => OutgoingEvent,
  onSend: OnSend,
): Promise<{ sent: number; elapsedMs: number }> => {
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let turn = 0;
  let failure: Error | undefined;
  for (;;) {
    const elapsed = performance.now() - started;
    if (elapsed >= durationMs) break;
    const due =
      Math.min(Math.floor((elapsed / 1000) * perSecond) + 1, Math.ceil((durationMs / 1000) * perSecond)) -
      sent;
    if (due > 0 && inFlight.size < 16) {
      const events = Array.from({ length: Math.min(due, 100) }, (_, k) => eventAt(sent + k));
      sent += events.length;
      const partitionId = publisher.partitionIds[turn++ % publisher.partitionIds.length]!;
      const sending: Promise<void> = publisher
        .send(events, partitionId, onSend)
        .catch((error: unknown) => {
          failure ??= error instanceof Error ? error : new Error(String(error));
        })
        .finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    }
    await sleep(2);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return { sent, elapsedMs: performance.now() - started };
};
