import { EventHubProducerClient } from "@azure/event-hubs";

import { hostApp, type HostedApp } from "./fidelityHost";

/**
 * Fidelity: an app with the triggers and hooks of the Functions v4 documentation (Event Hub cardinality one and
 * many on their own hub and consumer groups with trigger metadata, a timer with a retry policy, an HTTP route
 * constraint, invocation hooks), hosted by the bin; what each handler saw is read back over HTTP.
 */
const APP = `
const { app } = require("@azure/functions");
const seen = { single: [], batch: [], timer: [], hooks: 0 };

app.hook.postInvocation(() => { seen.hooks += 1; });

app.eventHub("single", {
  connection: "ORDERS_CONNECTION",
  eventHubName: "orders",
  cardinality: "one",
  handler: (message, context) => {
    seen.single.push({ message, sequenceNumber: context.triggerMetadata.sequenceNumber,
      partitionId: context.triggerMetadata.partitionContext.partitionId });
  },
});

app.eventHub("batch", {
  connection: "ORDERS_CONNECTION",
  eventHubName: "orders",
  consumerGroup: "audit",
  cardinality: "many",
  handler: (messages, context) => {
    seen.batch.push({ messages, sequenceNumbers: context.triggerMetadata.sequenceNumberArray,
      messageIds: context.triggerMetadata.systemPropertiesArray.map((p) => p["message-id"]) });
  },
});

app.timer("flakyTimer", {
  schedule: "0 0 0 1 1 *",
  runOnStartup: true,
  retry: { strategy: "fixedDelay", maxRetryCount: 2, delayInterval: { seconds: 0 } },
  handler: (timer, context) => {
    seen.timer.push(context.retryContext ? context.retryContext.retryCount : 0);
    if (seen.timer.length < 2) throw new Error("first run fails");
  },
});

app.http("item", {
  methods: ["GET"],
  authLevel: "anonymous",
  route: "items/{id:int}",
  handler: (request) => ({ jsonBody: { id: Number(request.params.id) } }),
});

app.http("seen", { methods: ["GET"], authLevel: "anonymous", handler: () => ({ jsonBody: seen }) });
`;

interface Seen {
  single: Array<{ message: unknown; sequenceNumber: number; partitionId: string }>;
  batch: Array<{ messages: unknown[]; sequenceNumbers: number[]; messageIds: string[] }>;
  timer: number[];
  hooks: number;
}

let app: HostedApp;
beforeAll(async () => {
  app = await hostApp(APP);
}, 60_000);
afterAll(() => app.stop());

const seen = async (): Promise<Seen> => (await (await fetch(`${app.baseUrl}/seen`)).json()) as Seen;

const waitForSeen = async (condition: (s: Seen) => boolean, what: string): Promise<Seen> => {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const current = await seen();
    if (condition(current)) return current;
    if (Date.now() > deadline) throw new Error(`no ${what}: ${JSON.stringify(current)}\n${app.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe("Functions v4 triggers and hooks, hosted by the bin", () => {
  it("feeds one hub to a cardinality-one and a cardinality-many trigger on their own consumer groups", async () => {
    const hubs = app.ready.eventHubs as Array<{ name: string; connectionString: string }>;
    const orders = hubs.find((h) => h.name === "orders");
    expect(orders).toBeDefined();
    const producer = new EventHubProducerClient(orders!.connectionString);
    try {
      const batch = await producer.createBatch({ partitionId: "0" });
      batch.tryAdd({ body: { order: 1 }, messageId: "order-1" });
      batch.tryAdd({ body: { order: 2 }, messageId: "order-2" });
      await producer.sendBatch(batch);
    } finally {
      await producer.close();
    }
    const result = await waitForSeen(
      (s) => s.single.length === 2 && s.batch.flatMap((b) => b.messages).length === 2,
      "both events on both triggers",
    );
    expect(result.single).toEqual([
      { message: { order: 1 }, sequenceNumber: 0, partitionId: "0" },
      { message: { order: 2 }, sequenceNumber: 1, partitionId: "0" },
    ]);
    expect(result.batch.flatMap((b) => b.messages)).toEqual([{ order: 1 }, { order: 2 }]);
    expect(result.batch.flatMap((b) => b.messageIds)).toEqual(["order-1", "order-2"]);
  });

  it("retries a failed timer run under its retry policy with context.retryContext", async () => {
    const result = await waitForSeen((s) => s.timer.length >= 2, "the retried timer run");
    expect(result.timer).toEqual([0, 1]);
  });

  it("matches a route constraint: items/{id:int} serves 42 and not abc", async () => {
    const ok = await fetch(`${app.baseUrl}/items/42`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ id: 42 });
    expect((await fetch(`${app.baseUrl}/items/abc`)).status).toBe(404);
  });

  it("runs postInvocation hooks around every invocation", async () => {
    const before = (await seen()).hooks;
    await fetch(`${app.baseUrl}/items/1`);
    const after = await waitForSeen((s) => s.hooks >= before + 2, "the hook after the request");
    expect(after.hooks).toBeGreaterThanOrEqual(before + 2);
  });
});
