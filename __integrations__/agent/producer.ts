import { EventHubProducerClient } from "@azure/event-hubs";

/** An event body as IO core publishes it (or anything else, to test rejection). */
export type EventBody = unknown;

export interface Producer {
  /**
   * Sends the bodies as one batch to one partition (a shared partition key), so they arrive in order and,
   * up to the trigger's batch size, in one trigger invocation.
   */
  publish(bodies: ReadonlyArray<EventBody>, partitionKey?: string): Promise<void>;
  /** The hub's partitions (a cheap round trip: proves the hub is reachable). */
  partitionIds(): Promise<ReadonlyArray<string>>;
  close(): Promise<void>;
}

export const makeProducer = (connectionString: string, eventHubName: string): Producer => {
  const client = new EventHubProducerClient(connectionString, eventHubName);
  return {
    async publish(bodies, partitionKey = "integration") {
      const batch = await client.createBatch({ partitionKey });
      for (const body of bodies) {
        if (!batch.tryAdd({ body })) throw new Error(`event ${batch.count + 1} does not fit in one batch`);
      }
      await client.sendBatch(batch);
    },
    partitionIds: () => client.getPartitionIds(),
    close: () => client.close(),
  };
};
