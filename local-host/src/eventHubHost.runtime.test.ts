import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { EventHubProducerClient } from "@azure/event-hubs";

import { type RuntimeChild, startRuntimeChild } from "./test-support/runtimeChild";
import { testStorageConnection } from "./test-support/storage";

/**
 * startLocalRuntime on a tiny app folder: the app reads its settings while it loads, its Event Hub triggers name
 * their own hubs, consumer groups and connections, and the runtime serves them all from the embedded endpoint.
 */
jest.setTimeout(60_000);

const APP = (functionsPath: string): string => `
  const fs = require("node:fs");
  const path = require("node:path");
  const { app } = require(${JSON.stringify(functionsPath)});
  const record = (line) => fs.appendFileSync(path.join(__dirname, "calls.jsonl"), JSON.stringify(line) + "\\n");
  record({ atLoad: { EVENTHUB_CONNECTION: process.env.EVENTHUB_CONNECTION, ORDERS_CONNECTION: process.env.ORDERS_CONNECTION } });
  const on = (name, options) =>
    app.eventHub(name, { ...options, cardinality: "many", handler: (events) => record({ fn: name, events }) });
  on("onOrders", { connection: "ORDERS_CONNECTION", eventHubName: "%ORDERS_HUB%" });
  on("onAudit", { connection: "EVENTHUB_CONNECTION", eventHubName: "audit" });
  on("onAuditArchive", { connection: "EVENTHUB_CONNECTION", eventHubName: "audit", consumerGroup: "%ARCHIVE_GROUP%" });
`;

interface Line {
  readonly atLoad?: Record<string, string | undefined>;
  readonly fn?: string;
  readonly events?: unknown[];
}

describe("local runtime with Event Hub triggers on several hubs", () => {
  let appRoot: string;
  let runtime: RuntimeChild | undefined;
  const lines = (): Line[] =>
    readFileSync(join(appRoot, "calls.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Line);
  const eventsOf = (fn: string): unknown[] =>
    lines()
      .filter((l) => l.fn === fn)
      .flatMap((l) => l.events ?? [])
      .sort();
  const env = (more: Record<string, string>): Record<string, string> => ({
    AzureWebJobsStorage: testStorageConnection(),
    PORT: "0",
    EVENTHUB_EMULATOR_PORT: "0",
    DATA_DIR: join(appRoot, ".data"),
    ...more,
  });

  beforeEach(() => {
    appRoot = mkdtempSync(join(tmpdir(), "hubs-app-"));
    const hubName = `h${Date.now()}`;
    writeFileSync(
      join(appRoot, "host.json"),
      JSON.stringify({
        version: "2.0",
        extensions: { durableTask: { hubName }, eventHubs: { maxWaitTime: "00:00:00.2" } },
      }),
    );
    writeFileSync(join(appRoot, "app.js"), APP(require.resolve("@azure/functions")));
    appendFileSync(join(appRoot, "calls.jsonl"), "");
  });
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
    rmSync(appRoot, { recursive: true, force: true });
  });

  it("serves every hub and consumer group the triggers name and routes each hub's events to its own functions", async () => {
    runtime = await startRuntimeChild(appRoot, env({ ORDERS_HUB: "orders", ARCHIVE_GROUP: "archive" }));
    const { info } = runtime;
    // runtime.json keeps the first trigger's hub in its old fields, and lists every hub.
    expect(info.eventHubName).toBe("orders");
    expect(info.eventHubConnectionString).toMatch(/^Endpoint=sb:\/\/127\.0\.0\.1:\d+;.*EntityPath=orders$/);
    expect(info.eventHubs.map((h) => [h.name, h.consumerGroups, h.functions])).toEqual([
      ["orders", ["$default"], ["onOrders"]],
      ["audit", ["$default", "archive"], ["onAudit", "onAuditArchive"]],
    ]);
    // EVENTHUB_CONNECTION pointed at the endpoint before the app loaded; ORDERS_CONNECTION only once its trigger was known.
    expect(lines()[0]!.atLoad).toEqual({
      EVENTHUB_CONNECTION: expect.stringMatching(/^Endpoint=sb:\/\/127\.0\.0\.1:/),
    });
    const send = async (connectionString: string, bodies: string[]): Promise<void> => {
      const producer = new EventHubProducerClient(connectionString);
      await producer.sendBatch(bodies.map((body) => ({ body })));
      await producer.close();
    };
    const [orders, audit] = info.eventHubs.map((h) => h.connectionString) as [string, string];
    await send(orders, ["o1", "o2"]);
    await send(audit, ["a1", "a2", "a3", "a4", "a5"]);
    const deadline = Date.now() + 30_000;
    while (
      eventsOf("onOrders").length + eventsOf("onAudit").length + eventsOf("onAuditArchive").length <
      12
    ) {
      if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(lines())}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Bounded absence check: no event reaches a function of another hub, or arrives twice, a little later.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(eventsOf("onOrders")).toEqual(["o1", "o2"]);
    expect(eventsOf("onAudit")).toEqual(["a1", "a2", "a3", "a4", "a5"]);
    expect(eventsOf("onAuditArchive")).toEqual(["a1", "a2", "a3", "a4", "a5"]);
  });

  it("refuses to start when a trigger's %Setting% is unset, naming the function and the setting", async () => {
    await expect(startRuntimeChild(appRoot, env({ ORDERS_HUB: "orders" }))).rejects.toThrow(
      "Function 'onAuditArchive': consumerGroup '%ARCHIVE_GROUP%' needs app setting ARCHIVE_GROUP, which is not set",
    );
  });
});
