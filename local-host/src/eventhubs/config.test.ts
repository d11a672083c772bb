import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { loadHubsConfig } from "./config";
import { startEventHubsEmulator } from "./index";
import { Clients, collect, earliestEventPosition } from "./testClients";

describe("hubs configuration", () => {
  let dir: string;
  const file = (content: unknown): string => {
    const path = join(dir, "hubs.json");
    writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
    return path;
  };
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "hubs-config-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("loads hubs from a JSON file and serves them", async () => {
    const hubs = loadHubsConfig(
      file({ hubs: [{ name: "orders", partitionCount: 2, consumerGroups: ["$default", "audit"] }] }),
    );
    const emulator = await startEventHubsEmulator({ port: 0, hubs });
    const clients = new Clients(emulator);
    try {
      expect((await clients.producer("orders").getEventHubProperties()).partitionIds).toEqual(["0", "1"]);
      expect(await clients.consumer("orders", "audit").getPartitionIds()).toEqual(["0", "1"]);
    } finally {
      await clients.closeAll();
      await emulator.stop();
    }
  });

  it("adds hubs and consumer groups while serving, keeping an existing hub's events and partition count", async () => {
    const emulator = await startEventHubsEmulator({ port: 0 });
    const clients = new Clients(emulator);
    try {
      await clients.producer().sendBatch([{ body: "kept" }], { partitionId: "0" });
      await expect(clients.producer("orders").getPartitionIds()).rejects.toThrow(/could not be found/);
      emulator.ensureHubs([
        { name: "orders", partitionCount: 2, consumerGroups: ["$default"] },
        { name: "io-events", partitionCount: 8, consumerGroups: ["audit"] },
      ]);
      expect(await clients.producer("orders").getPartitionIds()).toEqual(["0", "1"]);
      const audit = clients.consumer("io-events", "audit");
      expect(await audit.getPartitionIds()).toEqual(["0", "1", "2", "3"]);
      const { done, subscription } = collect(
        (handlers) => audit.subscribe("0", handlers, { startPosition: earliestEventPosition }),
        1,
      );
      expect((await done).map((e) => e.body)).toEqual(["kept"]);
      await subscription.close();
      expect(() => emulator.ensureHubs([{ name: "a/b", partitionCount: 1, consumerGroups: ["x"] }])).toThrow(
        /name/,
      );
    } finally {
      await clients.closeAll();
      await emulator.stop();
    }
  });

  it("gives a connection string without EntityPath when no hub is named", async () => {
    const emulator = await startEventHubsEmulator({ port: 0 });
    try {
      expect(emulator.connectionString()).not.toMatch(/EntityPath/);
      expect(emulator.connectionString("orders")).toMatch(/;EntityPath=orders$/);
    } finally {
      await emulator.stop();
    }
  });

  it.each([
    ["not JSON", "{hubs:", /cannot read Event Hubs config .*hubs\.json/],
    ["a missing field", { hubs: [{ name: "x", partitionCount: 2 }] }, /hubs\.0\.consumerGroups/],
    [
      "a wrong type",
      { hubs: [{ name: "x", partitionCount: "2", consumerGroups: [] }] },
      /hubs\.0\.partitionCount/,
    ],
    [
      "zero partitions",
      { hubs: [{ name: "x", partitionCount: 0, consumerGroups: ["$default"] }] },
      /1 to 1024/,
    ],
    [
      "a bad name",
      { hubs: [{ name: "a/b", partitionCount: 1, consumerGroups: ["$default"] }] },
      /hubs\.0\.name/,
    ],
    [
      "a repeated name",
      {
        hubs: [
          { name: "x", partitionCount: 1, consumerGroups: ["$default"] },
          { name: "x", partitionCount: 1, consumerGroups: ["$default"] },
        ],
      },
      /hubs\.1\.name repeats/,
    ],
  ])("rejects a file with %s, saying where", (_, content, message) => {
    expect(() => loadHubsConfig(file(content))).toThrow(message);
  });

  it("says which file is missing", () => {
    expect(() => loadHubsConfig(join(dir, "absent.json"))).toThrow(/absent\.json/);
  });
});
