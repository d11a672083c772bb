import { TableClient } from "@azure/data-tables";

import { startAzurite } from "./azurite";
import { testStorageConnection } from "./test-support/storage";

describe("startAzurite", () => {
  it("serves tables on the port it reports (the shared test instance)", async () => {
    const client = TableClient.fromConnectionString(testStorageConnection(), "SmokeTable", {
      allowInsecureConnection: true,
    });
    await client.createTable();
    await client.upsertEntity({ partitionKey: "p", rowKey: "r", value: 42 });
    const entity = await client.getEntity<{ value: number }>("p", "r");
    expect(entity.value).toBe(42);
  });

  it("starts and stops a second, independent instance on free ports", async () => {
    const azurite = await startAzurite();
    try {
      expect(azurite.tablePort).toBeGreaterThan(0);
      expect(azurite.blobPort).not.toBe(azurite.tablePort);
    } finally {
      await azurite.stop();
    }
  });
});
