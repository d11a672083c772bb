import { EventHubProducerClient } from "@azure/event-hubs";

import { type ReadyLine } from "../../agent/runtimeProcess";

export interface BulkTarget {
  /** Send everything to this partition (by id); otherwise the hub spreads batches over its partitions. */
  readonly partitionId?: string;
}

/**
 * Publishes many event bodies in as few batches as fit (1 MB each): a Buffer goes as raw bytes (the way to send
 * invalid JSON or invalid UTF-8), anything else as the SDK encodes it (JSON). Returns how many batches were sent.
 */
export const publishMany = async (
  info: Pick<ReadyLine, "eventHubConnectionString" | "eventHubName">,
  bodies: ReadonlyArray<unknown>,
  target: BulkTarget = {},
): Promise<number> => {
  const client = new EventHubProducerClient(info.eventHubConnectionString, info.eventHubName);
  const options = target.partitionId === undefined ? {} : { partitionId: target.partitionId };
  let sent = 0;
  try {
    let batch = await client.createBatch(options);
    for (const [i, body] of bodies.entries()) {
      if (batch.tryAdd({ body })) continue;
      if (batch.count === 0) throw new Error(`event ${i} does not fit in an empty batch`);
      await client.sendBatch(batch);
      sent++;
      batch = await client.createBatch(options);
      if (!batch.tryAdd({ body })) throw new Error(`event ${i} does not fit in an empty batch`);
    }
    if (batch.count > 0) {
      await client.sendBatch(batch);
      sent++;
    }
    return sent;
  } finally {
    await client.close();
  }
};
