import {
  earliestEventPosition,
  EventHubConsumerClient,
  type PartitionContext,
  type ReceivedEventData,
  type Subscription,
} from "@azure/event-hubs";
import { BlobCheckpointStore } from "@azure/eventhubs-checkpointstore-blob";
import { ContainerClient } from "@azure/storage-blob";

import { count } from "./counters";
import type { CapturedFunction, FunctionsCoreShim } from "./functionsCore";
import { type LocalLog } from "./invocation";
import { releaseOwnClaims } from "./ownClaims";
import { retryPolicyOf } from "./retryOptions";
import { invokeAsWorker, jsonData, type RpcRetryContext, type RpcTypedData } from "./workerInvocation";

export interface EventHubHostOptions {
  /** The app's registrations (the function is invoked through its programming model). */
  readonly shim: FunctionsCoreShim;
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
  /** Values of the function's extra input bindings for one invocation (e.g. the durable client). */
  readonly extraInputs?: (fn: CapturedFunction) => Readonly<Record<string, RpcTypedData>>;
  /** Overrides the retry policy's waits between attempts (ms; the last one repeats), for tests. */
  readonly retryDelaysMs?: ReadonlyArray<number>;
  /**
   * This consumer's owner id for partition claims, the same across restarts of one data folder: claims a crashed
   * earlier run left under it are released at start (ownClaims.ts). Random when not given.
   */
  readonly consumerId?: string;
  /** host.json functionTimeout in ms (none when undefined): a longer invocation fails the batch (retried). */
  readonly functionTimeoutMs?: number;
  /** How long stop() waits for the batches being processed (default 30 s). */
  readonly drainTimeoutMs?: number;
}

export interface RunningEventHubHost {
  stop(): Promise<void>;
  /** Batches handled successfully so far (for progress and tests). */
  readonly handled: () => number;
}

/**
 * An event body as the Functions host sends it: its bytes as text (the library parses it as JSON when it parses).
 * The consumer skips the SDK's own JSON parsing (skipParsingBodyAsJson), so a data-section body arrives as its
 * bytes and is never re-serialised (JSON.stringify of a body nested thousands deep overflows the stack).
 */
const bodyText = (event: ReceivedEventData): string => {
  const body: unknown = event.body;
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return Buffer.from(body).toString("utf8");
  if (typeof body === "string") return body;
  try {
    return JSON.stringify(body) ?? "";
  } catch {
    // Failure policy: an AMQP value body that cannot be serialised reaches the function as empty text, which it
    // rejects as malformed, instead of blocking its partition.
    return "";
  }
};

/**
 * One event's system properties as the Event Hubs extension binds them (GetSystemPropertiesForBinding): the
 * broker's annotations and AMQP properties under their AMQP names (`x-opt-sequence-number`, `message-id`, ...)
 * plus `SequenceNumber`, `Offset` (a number, -1 if the offset is not one), `OffsetString`, `PartitionKey` and
 * `EnqueuedTimeUtc`.
 */
const systemPropertiesOf = (e: ReceivedEventData): Record<string, unknown> => ({
  "x-opt-sequence-number": e.sequenceNumber,
  "x-opt-offset": String(e.offset),
  "x-opt-enqueued-time": e.enqueuedTimeUtc.toISOString(),
  ...(e.partitionKey === null || e.partitionKey === undefined
    ? {}
    : { "x-opt-partition-key": e.partitionKey }),
  ...(e.messageId === undefined ? {} : { "message-id": String(e.messageId) }),
  ...(e.correlationId === undefined ? {} : { "correlation-id": String(e.correlationId) }),
  ...(e.contentType === undefined ? {} : { "content-type": e.contentType }),
  SequenceNumber: e.sequenceNumber,
  Offset: Number.isSafeInteger(Number(e.offset)) ? Number(e.offset) : -1,
  OffsetString: String(e.offset),
  PartitionKey: e.partitionKey ?? null,
  EnqueuedTimeUtc: e.enqueuedTimeUtc.toISOString(),
});

const partitionContextOf = (context: PartitionContext): Record<string, unknown> => ({
  ConsumerGroup: context.consumerGroup,
  EventHubName: context.eventHubName,
  FullyQualifiedNamespace: context.fullyQualifiedNamespace,
  PartitionId: context.partitionId,
});

/** Trigger metadata as the Functions host sends it for a cardinality-"many" batch (PascalCase; the library
    camel-cases the keys for the handler). */
export const batchTriggerMetadata = (
  events: ReadonlyArray<ReceivedEventData>,
  context: PartitionContext,
): Record<string, RpcTypedData> => ({
  PartitionContext: jsonData(partitionContextOf(context)),
  SequenceNumberArray: jsonData(events.map((e) => e.sequenceNumber)),
  OffsetArray: jsonData(events.map((e) => String(e.offset))),
  EnqueuedTimeUtcArray: jsonData(events.map((e) => e.enqueuedTimeUtc.toISOString())),
  PartitionKeyArray: jsonData(events.map((e) => e.partitionKey ?? null)),
  PropertiesArray: jsonData(events.map((e) => e.properties ?? {})),
  SystemPropertiesArray: jsonData(events.map(systemPropertiesOf)),
});

/** Trigger metadata for one event of a cardinality-"one" trigger. */
export const eventTriggerMetadata = (
  e: ReceivedEventData,
  context: PartitionContext,
): Record<string, RpcTypedData> => ({
  PartitionContext: jsonData(partitionContextOf(context)),
  SequenceNumber: jsonData(e.sequenceNumber),
  Offset: jsonData(String(e.offset)),
  EnqueuedTimeUtc: jsonData(e.enqueuedTimeUtc.toISOString()),
  PartitionKey: jsonData(e.partitionKey ?? null),
  Properties: jsonData(e.properties ?? {}),
  SystemProperties: jsonData(systemPropertiesOf(e)),
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Feeds the app's Event Hub trigger from the real EventHubConsumerClient with blob checkpoints, greedy partition
 * claiming, and batches up to host.json's maxEventBatchSize.
 * Failure policy (the Functions host's): a batch is checkpointed once its invocations are over. A failed
 * invocation is retried under the function's retry policy (`retry` of app.eventHub), the partition waiting
 * meanwhile; without a policy, or once its retries run out, it is logged and passed over. An app that must never
 * pass an event over registers `maxRetryCount: -1`, as the dispatcher does.
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
  const policy = retryPolicyOf(options.fn);
  let stopping = false;
  let handled = 0;
  const inFlight = new Set<Promise<void>>();

  const many = options.fn.trigger.cardinality === "many";
  const call = (
    trigger: RpcTypedData,
    triggerMetadata: Record<string, RpcTypedData>,
    retryContext: RpcRetryContext | undefined,
  ): Promise<unknown> =>
    invokeAsWorker(
      options.shim,
      options.fn,
      {
        trigger,
        triggerMetadata,
        extraInputs: options.extraInputs?.(options.fn) ?? {},
        ...(retryContext === undefined ? {} : { retryContext }),
        ...(options.functionTimeoutMs === undefined ? {} : { timeoutMs: options.functionTimeoutMs }),
      },
      options.log,
    );

  /**
   * One invocation under the function's retry policy, as the Functions host runs it: without a policy a failure is
   * logged and the events are passed over; with one, retried with `context.retryContext` until it succeeds or the
   * policy's retries run out (then logged and passed over; maxRetryCount -1 never runs out). False when the host
   * stopped while waiting (the events are then not checkpointed, and come again at the next start).
   */
  const invokeWithPolicy = async (
    what: string,
    partitionId: string,
    run: (retryContext: RpcRetryContext | undefined) => Promise<unknown>,
  ): Promise<boolean> => {
    let retryContext: RpcRetryContext | undefined;
    for (let retry = 0; ; retry++) {
      try {
        await run(retryContext);
        return true;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const more = policy !== undefined && (policy.maxRetryCount === -1 || retry < policy.maxRetryCount);
        if (!more) {
          const why = policy === undefined ? "the function has no retry policy" : "its retries ran out";
          options.log(
            "error",
            options.fn.name,
            `${what} on partition ${partitionId} failed and is passed over (${why}), as the Functions host does: ${message}`,
          );
          return true;
        }
        const wait =
          options.retryDelaysMs?.[Math.min(retry, options.retryDelaysMs.length - 1)] ??
          policy.delayMs(retry + 1);
        options.log(
          "error",
          options.fn.name,
          `${what} on partition ${partitionId} failed (attempt ${retry + 1}), retrying in ${wait} ms: ${message}`,
        );
        await sleep(wait);
        if (stopping) return false;
        retryContext = {
          retryCount: retry + 1,
          maxRetryCount: policy.maxRetryCount,
          exception: { message, source: options.fn.name },
        };
      }
    }
  };

  /** The batch in one invocation for cardinality "many"; for "one" (the default, as in Azure) each event in its own
      invocation, retried on its own. */
  const invoke = async (events: ReceivedEventData[], context: PartitionContext): Promise<boolean> => {
    if (many) {
      const trigger = { collectionString: { string: events.map(bodyText) } };
      return invokeWithPolicy(`a batch of ${events.length}`, context.partitionId, (retryContext) =>
        call(trigger, batchTriggerMetadata(events, context), retryContext),
      );
    }
    for (const event of events) {
      const done = await invokeWithPolicy(
        `event ${event.sequenceNumber}`,
        context.partitionId,
        (retryContext) =>
          call({ string: bodyText(event) }, eventTriggerMetadata(event, context), retryContext),
      );
      if (!done) return false;
    }
    return true;
  };

  const subscription: Subscription = client.subscribe(
    {
      processEvents: (events, context) => {
        // Work counters (counters.ts): every receive the SDK completed, and those that brought events.
        count(events.length === 0 ? "eventhubs.emptyReceives" : "eventhubs.batchesReceived");
        count("eventhubs.eventsReceived", events.length);
        if (events.length === 0 || stopping) return Promise.resolve();
        const work = (async () => {
          if (!(await invoke(events, context))) return;
          handled++;
          await context.updateCheckpoint(events[events.length - 1]!);
        })();
        inFlight.add(work);
        return work.finally(() => inFlight.delete(work));
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
      skipParsingBodyAsJson: true,
    },
  );

  return {
    handled: () => handled,
    // A stop takes no new batch, lets the ones being processed finish and checkpoint (up to the drain timeout; a
    // batch cut off there is not checkpointed and comes again at the next start), then closes the client.
    stop: async () => {
      stopping = true;
      let timer: NodeJS.Timeout | undefined;
      const drained = Promise.allSettled([...inFlight]);
      const timeout = new Promise<void>(
        (resolve) => (timer = setTimeout(resolve, options.drainTimeoutMs ?? 30_000)),
      );
      await Promise.race([drained, timeout]);
      clearTimeout(timer);
      if (inFlight.size > 0)
        options.log(
          "warning",
          options.fn.name,
          `${inFlight.size} batch(es) still running at the drain timeout`,
        );
      await subscription.close();
      await client.close();
    },
  };
};
