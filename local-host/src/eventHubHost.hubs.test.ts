import { randomBytes } from "node:crypto";

import { EventHubProducerClient } from "@azure/event-hubs";
import type * as AzureFunctions from "@azure/functions";
import { ContainerClient } from "@azure/storage-blob";

import { startEventHubHost } from "./eventHubHost";
import { type EventHubsPlan, LocalEventHubs } from "./localEventHubs";
import { captureFunctions } from "./test-support/captureFunctions";
import { testStorageConnection } from "./test-support/storage";

/**
 * Each Event Hub trigger reads its own hub and consumer group through its own connection setting, and the
 * embedded endpoint serves whatever hubs and consumer groups the triggers name, in the order the runtime uses
 * (LocalEventHubs.beforeLoad, the app loads, afterLoad, one consumer per trigger).
 */
type Received = Record<string, unknown[]>;

const waitFor = async (condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/** Registers one cardinality-many function per entry; each records the bodies it got under its name. */
const loadApp = (
  triggers: Record<string, { connection: string; eventHubName: string; consumerGroup?: string }>,
  received: Received,
  atLoad: () => void = () => undefined,
) =>
  captureFunctions(() => {
    atLoad();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { app } = require("@azure/functions") as typeof AzureFunctions;
    for (const [name, options] of Object.entries(triggers)) {
      received[name] = [];
      app.eventHub(name, {
        ...options,
        cardinality: "many",
        handler: (events) => void received[name]!.push(...(events as unknown[])),
      });
    }
  });

describe("Event Hub triggers with their own hubs, consumer groups and connections", () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  const localEventHubs = (settings: NodeJS.ProcessEnv, hostEnv: NodeJS.ProcessEnv = {}): LocalEventHubs =>
    new LocalEventHubs({
      hostEnv: { EVENTHUB_EMULATOR_PORT: "0", ...hostEnv },
      settings,
      dataDir: undefined,
      onStop: (stop) => stops.push(stop),
      log: () => undefined,
    });

  const feedAll = async (
    shim: ReturnType<typeof captureFunctions>,
    plan: EventHubsPlan,
    container: string,
  ): Promise<void> => {
    for (const feed of plan.feeds) {
      const feeder = await startEventHubHost({
        shim,
        fn: feed.fn,
        connectionString: feed.connectionString,
        eventHubName: feed.eventHubName,
        consumerGroup: feed.consumerGroup,
        storageConnection: testStorageConnection(),
        checkpointContainer: container,
        maxBatchSize: 10,
        maxWaitTimeInSeconds: 0.2,
        log: () => undefined,
      });
      stops.push(() => feeder.stop());
    }
  };

  const publish = async (connectionString: string, bodies: ReadonlyArray<string>): Promise<void> => {
    const producer = new EventHubProducerClient(connectionString);
    try {
      await producer.sendBatch(bodies.map((body) => ({ body })));
    } finally {
      await producer.close();
    }
  };

  it("gives triggers on different hubs their own consumers and checkpoints: each gets only its hub's events", async () => {
    const received: Received = {};
    const seenAtLoad: Record<string, string | undefined> = {};
    const settings: NodeJS.ProcessEnv = {
      ORDERS_HUB: "orders",
      AUDIT_CONNECTION:
        "Endpoint=sb://localhost;SharedAccessKey=x;UseDevelopmentEmulator=true;EntityPath=audit",
    };
    const hubs = localEventHubs(settings, { EVENTHUB_EMULATOR_PARTITIONS: "2" });
    await hubs.beforeLoad();
    const shim = loadApp(
      {
        onOrders: { connection: "ORDERS_CONNECTION", eventHubName: "%ORDERS_HUB%" },
        onAudit: { connection: "AUDIT_CONNECTION", eventHubName: "audit" },
      },
      received,
      () => Object.assign(seenAtLoad, settings),
    );
    const plan = await hubs.afterLoad(shim.byTriggerType("eventHubTrigger"));
    // The development-emulator string already pointed at the endpoint while the app loaded (EntityPath kept);
    // the unset ORDERS_CONNECTION is set once the trigger names it.
    expect(seenAtLoad.AUDIT_CONNECTION).toMatch(/^Endpoint=sb:\/\/127\.0\.0\.1:\d+;.*;EntityPath=audit$/);
    expect(seenAtLoad.ORDERS_CONNECTION).toBeUndefined();
    expect(settings.ORDERS_CONNECTION).toMatch(/^Endpoint=sb:\/\/127\.0\.0\.1:\d+;/);
    expect(plan.primary).toEqual({
      name: "orders",
      connectionString: expect.stringMatching(/EntityPath=orders$/),
    });
    expect(plan.hubs.map((h) => [h.name, h.consumerGroups, h.functions])).toEqual([
      ["orders", ["$default"], ["onOrders"]],
      ["audit", ["$default"], ["onAudit"]],
    ]);
    const container = `cp${randomBytes(6).toString("hex")}`;
    await feedAll(shim, plan, container);
    const [orders, audit] = plan.hubs.map((h) => h.connectionString) as [string, string];
    const producer = new EventHubProducerClient(orders);
    expect(await producer.getPartitionIds()).toEqual(["0", "1"]);
    await producer.close();
    await publish(orders, ["o1", "o2"]);
    await publish(audit, ["a1", "a2", "a3"]);
    await waitFor(() => received.onOrders!.length >= 2 && received.onAudit!.length >= 3, "both hubs' events");
    // Bounded absence check: nothing of the other hub arrives late.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received.onOrders!.sort()).toEqual(["o1", "o2"]);
    expect(received.onAudit!.sort()).toEqual(["a1", "a2", "a3"]);
    // The checkpoint follows the handler's success: poll the container until both hubs have one.
    const client = new ContainerClient(testStorageConnection(), container);
    const checkpointed = async (): Promise<string[]> => {
      const hubsWithCheckpoints = new Set<string>();
      for await (const blob of client.listBlobsFlat()) {
        const match = /\/([^/]+)\/\$default\/checkpoint\//.exec(blob.name);
        if (match !== null) hubsWithCheckpoints.add(match[1]!);
      }
      return [...hubsWithCheckpoints].sort();
    };
    const deadline = Date.now() + 10_000;
    while ((await checkpointed()).length < 2 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await checkpointed()).toEqual(["audit", "orders"]);
  });

  it("gives two triggers on one hub with different consumer groups every event each", async () => {
    const received: Received = {};
    const settings: NodeJS.ProcessEnv = { GROUP: "archive" };
    const hubs = localEventHubs(settings);
    await hubs.beforeLoad();
    const shim = loadApp(
      {
        live: { connection: "EVENTHUB_CONNECTION", eventHubName: "audit" },
        archive: { connection: "EVENTHUB_CONNECTION", eventHubName: "audit", consumerGroup: "%GROUP%" },
      },
      received,
    );
    const plan = await hubs.afterLoad(shim.byTriggerType("eventHubTrigger"));
    expect(plan.hubs).toEqual([
      expect.objectContaining({ name: "audit", consumerGroups: ["$default", "archive"] }),
    ]);
    await feedAll(shim, plan, `cp${randomBytes(6).toString("hex")}`);
    const producer = new EventHubProducerClient(plan.hubs[0]!.connectionString);
    expect(await producer.getPartitionIds()).toEqual(["0", "1", "2", "3"]);
    await producer.close();
    const bodies = Array.from({ length: 12 }, (_, i) => `e${i}`);
    await publish(plan.hubs[0]!.connectionString, bodies);
    await waitFor(() => received.live!.length >= 12 && received.archive!.length >= 12, "every event twice");
    expect(received.live!.sort()).toEqual([...bodies].sort());
    expect(received.archive!.sort()).toEqual([...bodies].sort());
  });

  it("refuses at start a trigger whose %Setting% is unset, naming the function and the setting", async () => {
    const hubs = localEventHubs({});
    await hubs.beforeLoad();
    const shim = loadApp(
      { onEvents: { connection: "EVENTHUB_CONNECTION", eventHubName: "%NO_SUCH_HUB%" } },
      {},
    );
    await expect(hubs.afterLoad(shim.byTriggerType("eventHubTrigger"))).rejects.toThrow(
      "Function 'onEvents': eventHubName '%NO_SUCH_HUB%' needs app setting NO_SUCH_HUB, which is not set",
    );
  });
});
