import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { TableClient } from "@azure/data-tables";
import { ContainerClient } from "@azure/storage-blob";

import { type RunningAzurite, startAzurite } from "./azurite";

/**
 * Acknowledged means durable: what a persistent Azurite acknowledged survives a SIGKILL of Azurite itself a moment
 * later (azuriteChild.ts journals every LokiJS change before the response leaves).
 */
const kill = async (azurite: RunningAzurite): Promise<void> => {
  const pid = azurite.pid!;
  process.kill(pid, "SIGKILL");
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (alive()) await new Promise((resolve) => setTimeout(resolve, 20));
};

const options = { allowInsecureConnection: true };
const rowKeys = async (table: TableClient): Promise<string[]> => {
  const keys: string[] = [];
  for await (const e of table.listEntities()) keys.push(e.rowKey!);
  return keys.sort();
};

describe("Azurite's journal", () => {
  const location = mkdtempSync(path.join(tmpdir(), "azurite-journal-"));
  let azurite: RunningAzurite | undefined;
  afterAll(async () => {
    await azurite?.stop();
  });

  const clients = (a: RunningAzurite) => ({
    table: TableClient.fromConnectionString(a.connectionString, "Journaled", options),
    blobs: new ContainerClient(a.connectionString, "journaled"),
  });

  it("keeps every acknowledged table and blob write across a SIGKILL of Azurite, twice over a save", async () => {
    azurite = await startAzurite({ location });
    let { table, blobs } = clients(azurite);
    await table.createTable();
    await blobs.createIfNotExists();
    for (let i = 0; i < 50; i++) await table.upsertEntity({ partitionKey: "p", rowKey: `a${i}`, n: i });
    await table.deleteEntity("p", "a0");
    await table.updateEntity({ partitionKey: "p", rowKey: "a1", n: 100 }, "Merge");
    await table.submitTransaction([
      ["create", { partitionKey: "p", rowKey: "t1" }],
      ["create", { partitionKey: "p", rowKey: "t2" }],
    ]);
    // A transaction that fails (its second create conflicts) leaves nothing behind, before and after the kill.
    await expect(
      table.submitTransaction([
        ["create", { partitionKey: "p", rowKey: "t3" }],
        ["create", { partitionKey: "p", rowKey: "t1" }],
      ]),
    ).rejects.toThrow();
    await blobs.getBlockBlobClient("b1").upload("hello", 5);
    await kill(azurite);

    azurite = await startAzurite({ location });
    ({ table, blobs } = clients(azurite));
    const expected = [...Array.from({ length: 49 }, (_, i) => `a${i + 1}`), "t1", "t2"].sort();
    expect(await rowKeys(table)).toEqual(expected);
    expect((await table.getEntity<{ n: number }>("p", "a1")).n).toBe(100);
    expect((await blobs.getBlockBlobClient("b1").downloadToBuffer()).toString()).toBe("hello");

    // Past Azurite's 5 s save, the journal starts over; later writes survive the next kill too.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    await table.upsertEntity({ partitionKey: "p", rowKey: "z", n: 1 });
    await table.deleteEntity("p", "a2");
    await kill(azurite);

    azurite = await startAzurite({ location });
    ({ table } = clients(azurite));
    expect(await rowKeys(table)).toEqual([...expected.filter((k) => k !== "a2"), "z"].sort());
    // Segments made obsolete by a save are deleted: the journal does not grow without bound.
    const segments = readdirSync(location).filter((f) => f.includes(".journal."));
    expect(segments.length).toBeLessThanOrEqual(6);
  }, 60_000);
});
