import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { loadHubsConfig } from "./config";
import { startEventHubsEmulator } from "./index";
import { Clients } from "./testClients";

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
