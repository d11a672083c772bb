import {
  earliestEventPosition,
  EventHubConsumerClient,
  type PartitionContext,
  type ReceivedEventData,
  type Subscription,
} from "@azure/event-hubs";
import { BlobCheckpointStore } from "@azure/eventhubs-checkpointstore-blob";
import type { InvocationContext } from "@azure/functions";
import { ContainerClient } from "@azure/storage-blob";

import type { CapturedFunction } from "./functionsCore";
import { invocationContextFor, type LocalLog } from "./invocation";
import { releaseOwnClaims } from "./ownClaims";

export interface EventHubHostOptions {
  readonly fn: CapturedFunction;
  readonly connectionString: string;
  readonly eventHubName: string;
  readonly consumerGroup: string;
  /** Checkpoints and ownership live in this blob container (Azurite locally), as the Functions host keeps them. */
  readonly storageConnection: string;
  readonly checkpointContainer: string;
  readonly maxBatchSize: number;
  readonly maxWaitTimeInSeconds: number;
  readonly log: LocalLog;
  readonly prepare?: (fn: CapturedFunction, context: InvocationContext) => void;
  /** Waits between attempts at a failing batch (ms); the last one repeats. */
  readonly retryDelaysMs?: ReadonlyArray<number>;
  /**
   * This consumer's owner id for partition claims, the same across restarts of one data folder: claims a crashed
   * earlier run left under it are released at start (ownClaims.ts). Random when not given.
   */
  readonly consumerId?: string;
}

export interface RunningEventHubHost {
  stop(): Promise<void>;
  /** Batches handled successfully so far (for progress and tests). */
  readonly handled: () => number;
}

/** The Functions host gives a JSON body parsed, any other body as a string. */
const bodyOf = (event: ReceivedEventData): unknown => {
  const body: unknown = event.body;
  if (!Buffer.isBuffer(body) && !(body instanceof Uint8Array)) return body;
  const text = Buffer.from(body).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

/** The trigger metadata the Functions host gives a cardinality-"many" Event Hub trigger. */
export const batchTriggerMetadata = (
  events: ReadonlyArray<ReceivedEventData>,
  context: PartitionContext,
): Record<string, unknown> => ({
  partitionContext: {
    consumerGroup: context.consumerGroup,
    eventHubName: context.eventHubName,
    fullyQualifiedNamespace: context.fullyQualifiedNamespace,
    partitionId: context.partitionId,
  },
  sequenceNumberArray: events.map((e) => e.sequenceNumber),
  offsetArray: events.map((e) => String(e.offset)),
  enqueuedTimeUtcArray: events.map((e) => e.enqueuedTimeUtc.toISOString()),
  partitionKeyArray: events.map((e) => e.partitionKey ?? null),
  propertiesArray: events.map((e) => e.properties ?? {}),
  systemPropertiesArray: events.map((e) => ({
    SequenceNumber: e.sequenceNumber,
    Offset: String(e.offset),
    PartitionKey: e.partitionKey ?? null,
    EnqueuedTimeUtc: e.enqueuedTimeUtc.toISOString(),
    ...(e.messageId === undefined ? {} : { MessageId: String(e.messageId) }),
  })),
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Feeds the app's Event Hub trigger from the real EventHubConsumerClient with blob checkpoints, greedy partition
 * claiming, and batches up to host.json's maxEventBatchSize.
 * Failure policy: a checkpoint is written only after the handler succeeded. A failing batch is retried with
 * backoff (the partition waits; nothing after it is processed or checkpointed) until it succeeds or the host
 * stops, so no event is skipped.
 */
export const startEventHubHost = async (options: EventHubHostOptions): Promise<RunningEventHubHost> => {
  const containerClient = new ContainerClient(options.storageConnection, options.checkpointContainer);
  await containerClient.createIfNotExists();
  const checkpoints = new BlobCheckpointStore(containerClient);
  const client = new EventHubConsumerClient(
    options.consumerGroup,
    options.connectionString,
    options.eventHubName,
    checkpoints,
    // A runtime killed without stopping leaves its partition claims behind: they lapse after 10 s (the SDK default
    // is 60 s), so another consumer resumes quickly; this runtime's own next start releases them at once.
    {
      ...(options.consumerId === undefined ? {} : { identifier: options.consumerId }),
      loadBalancingOptions: {
        strategy: "greedy",
        updateIntervalInMs: 2000,
        partitionOwnershipExpirationIntervalInMs: 10_000,
      },
    },
  );
  if (options.consumerId !== undefined) {
    const hub = {
      fullyQualifiedNamespace: client.fullyQualifiedNamespace,
      eventHubName: client.eventHubName,
      consumerGroup: options.consumerGroup,
    };
    const released = await releaseOwnClaims(checkpoints, hub, options.consumerId).catch((error: unknown) => {
      // Failure policy: the claims then simply expire, as after any crash; consuming starts a few seconds later.
      options.log("warning", options.fn.name, `could not release earlier claims: ${String(error)}`);
      return 0;
    });
    if (released > 0)
      options.log(
        "information",
        options.fn.name,
        `released ${released} partition claim(s) of an earlier run`,
      );
  }
  const delays = options.retryDelaysMs ?? [500, 1000, 2000, 5000, 10000, 30000];
  let stopping = false;
  let handled = 0;

  const invoke = async (events: ReceivedEventData[], context: PartitionContext): Promise<void> => {
    const invocation = invocationContextFor(options.fn, {
      triggerMetadata: batchTriggerMetadata(events, context),
      log: options.log,
    });
    options.prepare?.(options.fn, invocation);
    await options.fn.callback(events.map(bodyOf), invocation);
  };

  const subscription: Subscription = client.subscribe(
    {
      processEvents: async (events, context) => {
        if (events.length === 0) return;
        for (let attempt = 0; !stopping; attempt++) {
          try {
            await invoke(events, context);
            handled++;
            await context.updateCheckpoint(events[events.length - 1]!);
            return;
          } catch (error) {
            const wait = delays[Math.min(attempt, delays.length - 1)] ?? 1000;
            options.log(
              "error",
              options.fn.name,
              `batch on partition ${context.partitionId} failed (attempt ${attempt + 1}), retrying in ${wait} ms: ${
                error instanceof Error ? error.message : String(error)
              }`,
            );
            await sleep(wait);
          }
        }
      },
      processError: (error, context) => {
        if (!stopping) {
          options.log("warning", options.fn.name, `partition ${context.partitionId}: ${error.message}`);
        }
        return Promise.resolve();
      },
    },
    {
      maxBatchSize: options.maxBatchSize,
      maxWaitTimeInSeconds: options.maxWaitTimeInSeconds,
      startPosition: earliestEventPosition,
    },
  );

  return {
    handled: () => handled,
    stop: async () => {
      stopping = true;
      await subscription.close();
      await client.close();
    },
  };
};
