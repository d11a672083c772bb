import { earliestEventPosition, EventHubConsumerClient } from "@azure/event-hubs";

/** An event as the hub holds it (what the live path and a replay derive the event id from). */
export interface HubRecord {
  readonly partitionId: string;
  readonly sequenceNumber: number;
  readonly enqueuedTime: number;
  readonly messageId?: string;
  readonly body: unknown;
}

/**
 * Reads every event the hub holds now, all partitions, from the earliest (in the replays consumer group: the live trigger owns "$default"; no checkpoints):
 * the test's independent view of which events exist and when they were enqueued.
 */
export const readWholeHub = async (connectionString: string, hubName: string): Promise<HubRecord[]> => {
  const client = new EventHubConsumerClient("replays", connectionString, hubName);
  try {
    const records: HubRecord[] = [];
    for (const partitionId of await client.getPartitionIds()) {
      const properties = await client.getPartitionProperties(partitionId);
      if (properties.isEmpty) continue;
      const last = properties.lastEnqueuedSequenceNumber;
      await new Promise<void>((resolve, reject) => {
        const subscription = client.subscribe(
          partitionId,
          {
            processEvents: async (events) => {
              for (const e of events)
                records.push({
                  partitionId,
                  sequenceNumber: e.sequenceNumber,
                  enqueuedTime: e.enqueuedTimeUtc.getTime(),
                  ...(e.messageId === undefined ? {} : { messageId: String(e.messageId) }),
                  body: e.body as unknown,
                });
              if (events.some((e) => e.sequenceNumber >= last)) {
                await subscription.close();
                resolve();
              }
            },
            processError: async (error) => {
              await subscription.close();
              reject(error);
            },
          },
          { startPosition: earliestEventPosition, maxBatchSize: 500, maxWaitTimeInSeconds: 5 },
        );
      });
    }
    return records;
  } finally {
    await client.close();
  }
};
