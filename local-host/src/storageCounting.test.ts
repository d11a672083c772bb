import { TableClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";

import { counterSnapshot, countersSetting, enableCounters, resetCounters } from "./counters";
import { batchOperations, classifyBlob, classifyTable, countStorage } from "./storageCounting";
import { freshTableName, testStorageConnection } from "./test-support/storage";

describe("classifying storage requests", () => {
  it("tells table reads, queries, writes, deletes, batches and table admin apart", () => {
    expect(classifyTable("GET", "/devstoreaccount1/Hub(PartitionKey='a',RowKey='meta')")).toEqual({
      kind: "read",
      table: "Hub",
    });
    expect(classifyTable("GET", "/devstoreaccount1/Hub()?$filter=RowKey%20eq%20'meta'")).toEqual({
      kind: "query",
      table: "Hub",
    });
    expect(classifyTable("POST", "/devstoreaccount1/Hub")).toEqual({ kind: "write", table: "Hub" });
    expect(classifyTable("MERGE", "/devstoreaccount1/Hub(PartitionKey='a',RowKey='b')").kind).toBe("write");
    expect(classifyTable("DELETE", "/devstoreaccount1/Hub(PartitionKey='a',RowKey='b')").kind).toBe("delete");
    expect(classifyTable("POST", "/devstoreaccount1/$batch").kind).toBe("batch");
    expect(classifyTable("POST", "/devstoreaccount1/Tables").kind).toBe("admin");
  });

  it("counts the operations of an entity-group transaction and names its table", () => {
    const body = [
      "--changeset",
      "PUT http://127.0.0.1:1/devstoreaccount1/Log(PartitionKey='p',RowKey='1') HTTP/1.1",
      "--changeset",
      "DELETE http://127.0.0.1:1/devstoreaccount1/Log(PartitionKey='p',RowKey='2') HTTP/1.1",
    ].join("\r\n");
    expect(batchOperations(body)).toEqual({ operations: 2, table: "Log" });
  });

  it("tells the checkpoint store's ownership claims from its checkpoints", () => {
    expect(classifyBlob("PUT", "/devstoreaccount1/c/ns/hub/$default/ownership/0?comp=metadata")).toEqual({
      op: "setMetadata",
      area: "ownership",
    });
    expect(
      classifyBlob(
        "GET",
        "/devstoreaccount1/c?restype=container&comp=list&prefix=ns%2Fhub%2F%24default%2Fcheckpoint%2F",
      ),
    ).toEqual({ op: "list", area: "checkpoint" });
    expect(classifyBlob("PUT", "/devstoreaccount1/c/ns/hub/$default/checkpoint/1")).toEqual({
      op: "put",
      area: "checkpoint",
    });
    expect(classifyBlob("PUT", "/devstoreaccount1/c?restype=container")).toEqual({
      op: "putContainer",
      area: "c",
    });
  });

  it("reads LOCAL_HOST_COUNTERS strictly", () => {
    expect(countersSetting({})).toBe(false);
    expect(countersSetting({ LOCAL_HOST_COUNTERS: "true" })).toBe(true);
    expect(countersSetting({ LOCAL_HOST_COUNTERS: "0" })).toBe(false);
    expect(() => countersSetting({ LOCAL_HOST_COUNTERS: "yes" })).toThrow("LOCAL_HOST_COUNTERS");
  });
});

describe("the counting proxy in front of Azurite", () => {
  it("counts every request the SDK clients send through it, by kind and table", async () => {
    enableCounters();
    resetCounters();
    const counted = await countStorage(testStorageConnection());
    try {
      const name = freshTableName("counted");
      const table = TableClient.fromConnectionString(counted.connectionString, name, {
        allowInsecureConnection: true,
      });
      await table.createTable();
      await table.createEntity({ partitionKey: "p", rowKey: "1", n: 1 });
      await table.getEntity("p", "1");
      await table.submitTransaction([
        ["upsert", { partitionKey: "p", rowKey: "2", n: 2 }],
        ["upsert", { partitionKey: "p", rowKey: "3", n: 3 }],
        ["delete", { partitionKey: "p", rowKey: "1" }],
      ]);
      const rows = [];
      for await (const row of table.listEntities()) rows.push(row);
      expect(rows).toHaveLength(2);
      await table.deleteEntity("p", "2");
      const blobs = BlobServiceClient.fromConnectionString(counted.connectionString);
      const container = blobs.getContainerClient(name.toLowerCase());
      await container.create();
      await container.getBlockBlobClient("ns/hub/$default/checkpoint/0").upload("", 0);

      const c = counterSnapshot();
      expect(c[`table.admin[Tables]`]).toBe(1);
      expect(c[`table.write[${name}]`]).toBe(1);
      expect(c[`table.read[${name}]`]).toBe(1);
      expect(c[`table.batch[${name}]`]).toBe(1);
      expect(c[`table.batchOperations[${name}]`]).toBe(3);
      expect(c[`table.query[${name}]`]).toBe(1);
      expect(c[`table.delete[${name}]`]).toBe(1);
      expect(c[`blob.putContainer[${name.toLowerCase()}]`]).toBe(1);
      expect(c["blob.put[checkpoint]"]).toBe(1);
      expect(c["storage.requests"]).toBe(8);
      expect(c["storage.requestBytes[table]"]).toBeGreaterThan(0);
    } finally {
      await counted.stop();
      resetCounters();
    }
  });
});
