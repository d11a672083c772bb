import { EventHubConsumerClient, type EventPosition, type ReceivedEventData } from "@azure/event-hubs";

import { type EventHubsConnection } from "../../connectionSettings";
import { type HubEvent, type PartitionEnd } from "../../domain/replay";
import { type CredentialFactory } from "../azureCredential";

/** Where a page starts: after the last event handed over, or (the first time) at the window's start. */
export type PageStart = { readonly afterSequenceNumber: number } | { readonly enqueuedFrom: string };

/** Reads the hub for replays: bounded pages from one partition, never a checkpoint (a port; faked in tests). */
export interface HubReader {
  readonly partitionIds: () => Promise<ReadonlyArray<string>>;
  /** The partition's end as it is now, then at most `max` events from `start` (fewer when the partition ends). */
  readonly readPage: (
    partitionId: string,
    start: PageStart,
    max: number,
  ) => Promise<{ readonly end: PartitionEnd; readonly events: ReadonlyArray<HubEvent> }>;
  readonly close: () => Promise<void>;
}

/** How long a page waits for events it knows are there (the end was read first) before it returns short. */
const PAGE_WAIT_SECONDS = 5;

const positionOf = (start: PageStart): EventPosition =>
  "afterSequenceNumber" in start
    ? { sequenceNumber: start.afterSequenceNumber, isInclusive: false }
    : // The service filters on "enqueued after": one millisecond earlier makes `from` itself part of the window.
      { enqueuedOn: Date.parse(start.enqueuedFrom) - 1 };

const hubEventOf = (event: ReceivedEventData): HubEvent => {
  const messageId = event.messageId;
  return {
    sequenceNumber: event.sequenceNumber,
    enqueuedTime: event.enqueuedTimeUtc.toISOString(),
    ...(messageId === undefined || messageId === "" ? {} : { messageId: String(messageId) }),
    body: event.body as unknown,
  };
};

/**
 * The replay reader over @azure/event-hubs: its own consumer client in EVENTHUB_REPLAY_CONSUMER_GROUP, one
 * short-lived receiver per page (subscribe to one partition, take the first batch, close), no checkpoint store, so
 * the live trigger's consumer group and checkpoints are never touched.
 */
export const makeHubReader = (args: {
  readonly connection: EventHubsConnection;
  readonly hubName: string;
  readonly consumerGroup: string;
  readonly credential: CredentialFactory;
}): HubReader => {
  let client: EventHubConsumerClient | undefined;
  const clientOf = (): EventHubConsumerClient => {
    if (client !== undefined) return client;
    const { connection } = args;
    switch (connection.kind) {
      case "connectionString":
        client = new EventHubConsumerClient(args.consumerGroup, connection.connectionString(), args.hubName);
        return client;
      case "identity":
        client = new EventHubConsumerClient(
          args.consumerGroup,
          connection.fullyQualifiedNamespace,
          args.hubName,
          args.credential(connection.credential),
        );
        return client;
      case "notSet":
        throw new Error("EVENTHUB_CONNECTION is not set: replays cannot read the hub");
      default: {
        const unknown: never = connection;
        throw new Error(`unknown Event Hubs connection ${JSON.stringify(unknown)}`);
      }
    }
  };

  const readEvents = (partitionId: string, start: PageStart, max: number): Promise<HubEvent[]> =>
    new Promise<HubEvent[]>((resolve, reject) => {
      let done = false;
      const subscription = clientOf().subscribe(
        partitionId,
        {
          processEvents: async (events) => {
            if (done) return;
            done = true;
            await subscription.close();
            resolve(events.map(hubEventOf));
          },
          processError: async (error) => {
            if (done) return;
            done = true;
            await subscription.close();
            reject(error);
          },
        },
        {
          startPosition: positionOf(start),
          maxBatchSize: max,
          maxWaitTimeInSeconds: PAGE_WAIT_SECONDS,
        },
      );
    });

  return {
    partitionIds: () => clientOf().getPartitionIds(),
    async readPage(partitionId, start, max) {
      const properties = await clientOf().getPartitionProperties(partitionId);
      const end: PartitionEnd = properties.isEmpty
        ? {}
        : {
            lastSequenceNumber: properties.lastEnqueuedSequenceNumber,
            lastEnqueuedTime: properties.lastEnqueuedOnUtc.toISOString(),
          };
      const atEnd =
        end.lastSequenceNumber === undefined ||
        ("afterSequenceNumber" in start && start.afterSequenceNumber >= end.lastSequenceNumber) ||
        ("enqueuedFrom" in start &&
          end.lastEnqueuedTime !== undefined &&
          Date.parse(end.lastEnqueuedTime) < Date.parse(start.enqueuedFrom));
      // Nothing to read: no receiver (it would only wait out PAGE_WAIT_SECONDS).
      const events = atEnd ? [] : await readEvents(partitionId, start, max);
      return { end, events };
    },
    async close() {
      await client?.close();
      client = undefined;
    },
  };
};
