import { createRequire } from "node:module";
import { dirname, join } from "node:path";

import {
  type CheckpointStore,
  earliestEventPosition,
  EventHubConsumerClient,
  EventHubProducerClient,
  type ReceivedEventData,
  type Subscription,
  type SubscriptionEventHandlers,
} from "@azure/event-hubs";
import { type Connection, create_container } from "rhea";

import { type RunningEventHubsEmulator, startEventHubsEmulator } from "./index";

/** The SDK's own client-side key resolver (used by its buffered producer); not exported, so loaded by path. */
export const sdkPartitionMapper = (): {
  hashPartitionKey(key: string): number;
  mapPartitionKeyToId(key: string, count: number): number;
} => {
  const load = createRequire(__filename);
  const root = dirname(load.resolve("@azure/event-hubs/package.json"));
  return load(join(root, "dist/commonjs/impl/partitionKeyToIdMapper.js")) as ReturnType<
    typeof sdkPartitionMapper
  >;
};

/** Test helper: SDK clients against a running emulator, closed together. */
export class Clients {
  private readonly closers: Array<() => Promise<void>> = [];

  constructor(private readonly emulator: RunningEventHubsEmulator) {}

  producer(hub = "io-events"): EventHubProducerClient {
    const client = new EventHubProducerClient(this.emulator.connectionString(hub), {
      retryOptions: { maxRetries: 0, timeoutInMs: 10_000 },
    });
    this.closers.push(() => client.close());
    return client;
  }

  consumer(hub = "io-events", group = "$default", checkpointStore?: CheckpointStore): EventHubConsumerClient {
    // Greedy: the default "balanced" strategy claims one partition per 10 s.
    const options = {
      retryOptions: { maxRetries: 0, timeoutInMs: 10_000 },
      loadBalancingOptions: { strategy: "greedy" as const, updateIntervalInMs: 200 },
    };
    const connection = this.emulator.connectionString(hub);
    const client =
      checkpointStore === undefined
        ? new EventHubConsumerClient(group, connection, options)
        : new EventHubConsumerClient(group, connection, checkpointStore, options);
    this.closers.push(() => client.close());
    return client;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.closers.splice(0).map((close) => close()));
  }
}

/** Resolves when `count` events arrived on the subscription (or rejects on a processing error). */
export const collect = (
  subscribe: (handlers: SubscriptionEventHandlers) => Subscription,
  count: number,
): { done: Promise<ReceivedEventData[]>; subscription: Subscription } => {
  const received: ReceivedEventData[] = [];
  let resolve: (events: ReceivedEventData[]) => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const done = new Promise<ReceivedEventData[]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const subscription = subscribe({
    processEvents: async (events) => {
      received.push(...events);
      if (received.length >= count) resolve(received);
      return Promise.resolve();
    },
    processError: async (error) => {
      reject(error);
      return Promise.resolve();
    },
  });
  return { done, subscription };
};

export { earliestEventPosition };

export const waitFor = async (condition: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

export const rawConnection = (
  port: number,
  sasl: { username?: string; password?: string } = {},
): Promise<Connection> =>
  new Promise((resolve, reject) => {
    const connection = create_container().connect({ host: "127.0.0.1", port, reconnect: false, ...sasl });
    connection.once("connection_open", () => resolve(connection));
    connection.once("connection_error", () => reject(new Error("connection refused")));
    connection.once("disconnected", () => reject(new Error("disconnected")));
  });

/** rhea's frame constructors (not exported by its typings), to write frames a well-behaved client would not. */
export const rheaFrames = (): Record<"disposition" | "flow" | "detach", (fields: object) => unknown> =>
  createRequire(__filename)("rhea/lib/frames.js") as ReturnType<typeof rheaFrames>;

/** A fresh endpoint on a free port and SDK clients for every test of the calling describe block. */
export const emulatorPerTest = (): { emulator: RunningEventHubsEmulator; clients: Clients } => {
  const context = {} as { emulator: RunningEventHubsEmulator; clients: Clients };
  beforeEach(async () => {
    context.emulator = await startEventHubsEmulator({ port: 0 });
    context.clients = new Clients(context.emulator);
  });
  afterEach(async () => {
    await context.clients.closeAll();
    await context.emulator.stop();
  });
  return context;
};
