import { randomBytes } from "node:crypto";

import type * as AzureFunctions from "@azure/functions";

import { type RunningEventHubHost, startEventHubHost } from "./eventHubHost";
import { emulatorPerTest } from "./eventhubs/testClients";
import type { FunctionsCoreShim } from "./functionsCore";
import { captureFunctions } from "./test-support/captureFunctions";
import { testStorageConnection } from "./test-support/storage";

/**
 * Event Hub triggers fed by the real consumer client and invoked through the app's @azure/functions programming
 * model: the handler sees what it sees in Azure (one event or an array by cardinality, trigger metadata with
 * the library's camelCase keys, system properties under their AMQP names).
 */
interface Call {
  readonly input: unknown;
  readonly metadata: Record<string, unknown> | undefined;
  readonly retryCount?: number;
}

const loadApp = (
  cardinality: "one" | "many",
  onCall: (call: Call) => void,
  retry?: AzureFunctions.RetryOptions,
): FunctionsCoreShim =>
  captureFunctions(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { app } = require("@azure/functions") as typeof AzureFunctions;
    app.eventHub("incoming", {
      connection: "HUB_CONNECTION",
      eventHubName: "io-events",
      cardinality,
      ...(retry === undefined ? {} : { retry }),
      handler: (input, context) => {
        onCall({
          input,
          metadata: context.triggerMetadata,
          ...(context.retryContext === undefined ? {} : { retryCount: context.retryContext.retryCount }),
        });
      },
    });
  });

const waitFor = async (condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe("Event Hub triggers through the worker path", () => {
  let feeder: RunningEventHubHost | undefined;
  // Registered before the emulator's own hooks, so it runs after the test and before the endpoint stops: a
  // consumer whose endpoint went away first keeps retrying its connection.
  afterEach(async () => {
    await feeder?.stop();
    feeder = undefined;
  });
  const t = emulatorPerTest();

  const feed = async (shim: FunctionsCoreShim): Promise<void> => {
    feeder = await startEventHubHost({
      shim,
      fn: shim.functions.get("incoming")!,
      connectionString: t.emulator.connectionString("io-events"),
      eventHubName: "io-events",
      consumerGroup: "$default",
      storageConnection: testStorageConnection(),
      checkpointContainer: `cp${randomBytes(6).toString("hex")}`,
      maxBatchSize: 10,
      maxWaitTimeInSeconds: 0.2,
      log: () => undefined,
      retryDelaysMs: [10],
    });
  };

  const publish = async (): Promise<void> => {
    const producer = t.clients.producer();
    const batch = await producer.createBatch({ partitionId: "1" });
    batch.tryAdd({ body: { n: 1 }, messageId: "m-1" });
    batch.tryAdd({ body: "plain text", messageId: "m-2" });
    await producer.sendBatch(batch);
  };

  it("hands a cardinality-many trigger the batch and camelCase array metadata", async () => {
    const calls: Call[] = [];
    const shim = loadApp("many", (call) => calls.push(call));
    await feed(shim);
    await publish();
    await waitFor(() => calls.flatMap((c) => c.input as unknown[]).length === 2, "both events");
    const metadata = calls[0]!.metadata!;
    expect(calls[0]!.input).toEqual([{ n: 1 }, "plain text"]);
    expect(metadata.partitionContext).toMatchObject({
      partitionId: "1",
      eventHubName: "io-events",
      consumerGroup: "$default",
    });
    expect(metadata.sequenceNumberArray).toEqual([0, 1]);
    const system = metadata.systemPropertiesArray as Array<Record<string, unknown>>;
    expect(system[0]).toMatchObject({ "message-id": "m-1", sequenceNumber: 0, "x-opt-sequence-number": 0 });
    expect(system[1]).toMatchObject({ "message-id": "m-2", sequenceNumber: 1 });
    expect(system[0]).not.toHaveProperty("SequenceNumber");
  });

  it("hands a cardinality-one trigger each event alone with its own metadata", async () => {
    const calls: Call[] = [];
    const shim = loadApp("one", (call) => calls.push(call));
    await feed(shim);
    await publish();
    await waitFor(() => calls.length === 2, "two invocations");
    expect(calls.map((c) => c.input)).toEqual([{ n: 1 }, "plain text"]);
    expect(calls[1]!.metadata).toMatchObject({
      sequenceNumber: 1,
      partitionContext: { partitionId: "1" },
      systemProperties: { "message-id": "m-2", sequenceNumber: 1 },
    });
  });

  it("hands over a body nested 12,000 deep as its bytes, without re-serialising it or blocking the partition", async () => {
    const calls: Call[] = [];
    const shim = loadApp("many", (call) => calls.push(call));
    await feed(shim);
    // The bytes of {"a":{"a":...}}: built as text, as no JSON.stringify can write it.
    const text = `${'{"a":'.repeat(12_000)}"bottom"${"}".repeat(12_000)}`;
    const deep = Buffer.from(text);
    const producer = t.clients.producer();
    const batch = await producer.createBatch({ partitionId: "0" });
    batch.tryAdd({ body: deep });
    batch.tryAdd({ body: { n: 2 } });
    await producer.sendBatch(batch);
    await waitFor(() => calls.flatMap((c) => c.input as unknown[]).length === 2, "both events");
    const [first, second] = calls.flatMap((c) => c.input as unknown[]);
    // The library parses it if JSON.parse can (the depth it allows depends on the stack), else hands the text.
    let depth = 0;
    for (let node = first; typeof node === "object" && node !== null; node = (node as { a: unknown }).a)
      depth++;
    if (typeof first === "string") expect(first).toBe(text);
    else expect(depth).toBe(12_000);
    expect(second).toEqual({ n: 2 });
  });

  const failingSecond = (calls: Call[], failuresWanted: number) => {
    let failures = 0;
    return (call: Call) => {
      calls.push(call);
      if (call.input === "plain text" && failures < failuresWanted) {
        failures += 1;
        throw new Error("not yet");
      }
    };
  };
  const forever = { strategy: "fixedDelay", maxRetryCount: -1, delayInterval: { seconds: 1 } } as const;

  it("retries a failing event under a maxRetryCount -1 policy, with retryContext, until it succeeds", async () => {
    const calls: Call[] = [];
    await feed(loadApp("one", failingSecond(calls, 2), forever));
    await publish();
    await waitFor(() => calls.length === 4, "the first event, two failures and the retry that succeeds");
    expect(calls.map((c) => [c.input, c.retryCount])).toEqual([
      [{ n: 1 }, undefined],
      ["plain text", undefined],
      ["plain text", 1],
      ["plain text", 2],
    ]);
  });

  it("passes a failing event over once its retries run out, and goes on with the next batch", async () => {
    const limited: Call[] = [];
    const twice = { strategy: "fixedDelay", maxRetryCount: 2, delayInterval: { seconds: 1 } } as const;
    await feed(loadApp("one", failingSecond(limited, 10), twice));
    await publish();
    await waitFor(() => limited.length === 4, "the first event, the failure and its two retries");
    await publish();
    // The next batch is processed: the failed event was passed over and checkpointed past.
    await waitFor(() => limited.length === 8, "the next batch");
    expect(limited.slice(0, 4).map((c) => [c.input, c.retryCount])).toEqual([
      [{ n: 1 }, undefined],
      ["plain text", undefined],
      ["plain text", 1],
      ["plain text", 2],
    ]);
  });

  it("passes a failing batch over at once when the function has no retry policy, as Azure does", async () => {
    const calls: Call[] = [];
    await feed(
      loadApp("many", (call) => {
        calls.push(call);
        throw new Error("always");
      }),
    );
    await publish();
    await publish();
    const events = () => calls.flatMap((c) => c.input as unknown[]);
    await waitFor(() => events().length === 4, "both batches");
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Each event was handed over once, never retried.
    expect(events()).toEqual([{ n: 1 }, "plain text", { n: 1 }, "plain text"]);
    expect(calls.every((c) => c.retryCount === undefined)).toBe(true);
  });
});
