import { randomBytes } from "node:crypto";

import type { EventData, EventHubProducerClient, ReceivedEventData } from "@azure/event-hubs";
import { BlobCheckpointStore } from "@azure/eventhubs-checkpointstore-blob";
import { ContainerClient } from "@azure/storage-blob";

import { testStorageConnection } from "../test-support/storage";
import { collect, earliestEventPosition, emulatorPerTest } from "./testClients";

const sendAll = async (producer: EventHubProducerClient, events: EventData[]): Promise<void> => {
  let batch = await producer.createBatch();
  for (const event of events) {
    if (batch.tryAdd(event)) continue;
    await producer.sendBatch(batch);
    batch = await producer.createBatch();
    if (!batch.tryAdd(event)) throw new Error("event too large for an empty batch");
  }
  if (batch.count > 0) await producer.sendBatch(batch);
};

/** Events grouped by partition, in arrival order. */
const byPartition = (events: ReceivedEventData[], partitionOf: Map<ReceivedEventData, string>) => {
  const groups = new Map<string, ReceivedEventData[]>();
  for (const event of events) {
    const id = partitionOf.get(event) ?? "?";
    groups.set(id, [...(groups.get(id) ?? []), event]);
  }
  return groups;
};

describe("EventHubConsumerClient.subscribe over all partitions", () => {
  const t = emulatorPerTest();

  it("receives each of 1,000 events exactly once, in order per partition", async () => {
    const producer = t.clients.producer();
    for (let round = 0; round < 10; round++)
      await sendAll(
        producer,
        Array.from({ length: 100 }, (_, i) => ({ body: { n: round * 100 + i } })),
      );
    const partitionOf = new Map<ReceivedEventData, string>();
    const consumer = t.clients.consumer();
    const { done, subscription } = collect(
      (handlers) =>
        consumer.subscribe(
          {
            ...handlers,
            processEvents: (events, context) => {
              for (const event of events) partitionOf.set(event, context.partitionId);
              return handlers.processEvents(events, context);
            },
          },
          {
            startPosition: earliestEventPosition,
            maxBatchSize: 200,
          },
        ),
      1000,
    );
    const events = await done;
    await subscription.close();
    const ns = events.map((e) => (e.body as { n: number }).n);
    expect(new Set(ns).size).toBe(1000);
    expect(ns.length).toBe(1000);
    const groups = byPartition(events, partitionOf);
    expect([...groups.keys()].sort()).toEqual(["0", "1", "2", "3"]);
    for (const group of groups.values()) {
      expect(group.map((e) => e.sequenceNumber)).toEqual(group.map((_, i) => i));
      const inGroup = group.map((e) => (e.body as { n: number }).n);
      expect(inGroup).toEqual([...inGroup].sort((a, b) => a - b));
    }
  });

  it("resumes after the blob checkpoint: a new subscription gets only later events", async () => {
    const container = new ContainerClient(testStorageConnection(), `eh${randomBytes(6).toString("hex")}`);
    await container.create();
    try {
      const store = new BlobCheckpointStore(container);
      const producer = t.clients.producer();
      await sendAll(
        producer,
        Array.from({ length: 40 }, (_, n) => ({ body: `before-${n}` })),
      );
      const options = { startPosition: earliestEventPosition };
      const first = collect(
        (handlers) =>
          t.clients.consumer(undefined, undefined, store).subscribe(
            {
              ...handlers,
              processEvents: async (events, context) => {
                const last = events[events.length - 1];
                if (last !== undefined) await context.updateCheckpoint(last);
                return handlers.processEvents(events, context);
              },
            },
            options,
          ),
        40,
      );
      await first.done;
      await first.subscription.close();
      await sendAll(
        producer,
        Array.from({ length: 20 }, (_, n) => ({ body: `after-${n}` })),
      );
      const second = collect(
        (handlers) => t.clients.consumer(undefined, undefined, store).subscribe(handlers, options),
        20,
      );
      const events = await second.done;
      await second.subscription.close();
      expect(events.map((e) => e.body as string).sort()).toEqual(
        Array.from({ length: 20 }, (_, n) => `after-${n}`).sort(),
      );
    } finally {
      await container.delete();
    }
  });

  it("delivers events sent to an explicit partition on that partition, each exactly once", async () => {
    const producer = t.clients.producer();
    const partitions = ["0", "1", "2", "3"];
    const perPartition = 500;
    await Promise.all(
      partitions.map((id) =>
        sendAllTo(
          producer,
          Array.from({ length: perPartition }, (_, n) => ({ body: { partition: id, n } })),
          id,
        ),
      ),
    );
    const partitionOf = new Map<ReceivedEventData, string>();
    const { done, subscription } = collect(
      (handlers) =>
        t.clients.consumer().subscribe(
          {
            ...handlers,
            processEvents: (events, context) => {
              for (const event of events) partitionOf.set(event, context.partitionId);
              return handlers.processEvents(events, context);
            },
          },
          { startPosition: earliestEventPosition, maxBatchSize: 1000 },
        ),
      partitions.length * perPartition,
    );
    const received = await done;
    await subscription.close();
    expect(received).toHaveLength(partitions.length * perPartition);
    const groups = byPartition(received, partitionOf);
    expect([...groups.keys()].sort()).toEqual(partitions);
    for (const [id, group] of groups) {
      const bodies = group.map((e) => e.body as { partition: string; n: number });
      expect(bodies.every((b) => b.partition === id)).toBe(true);
      expect(bodies.map((b) => b.n)).toEqual(Array.from({ length: perPartition }, (_, n) => n));
    }
  });
});

const sendAllTo = async (producer: EventHubProducerClient, events: EventData[], partitionId: string) => {
  let batch = await producer.createBatch({ partitionId });
  for (const event of events) {
    if (batch.tryAdd(event)) continue;
    await producer.sendBatch(batch);
    batch = await producer.createBatch({ partitionId });
    if (!batch.tryAdd(event)) throw new Error("event too large for an empty batch");
  }
  if (batch.count > 0) await producer.sendBatch(batch);
};
