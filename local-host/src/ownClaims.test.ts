import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { BlobCheckpointStore } from "@azure/eventhubs-checkpointstore-blob";
import { ContainerClient } from "@azure/storage-blob";

import { releaseOwnClaims, stableConsumerId } from "./ownClaims";
import { testStorageConnection } from "./test-support/storage";

const hub = { fullyQualifiedNamespace: "127.0.0.1", eventHubName: "io-events", consumerGroup: "$default" };

const claim = (partitionId: string, ownerId: string) => ({ ...hub, partitionId, ownerId });

describe("releasing a crashed run's partition claims", () => {
  let container: ContainerClient;
  let store: BlobCheckpointStore;
  beforeEach(async () => {
    container = new ContainerClient(
      testStorageConnection(),
      `claims-${Date.now()}-${Math.floor(Math.random() * 1e6)}`,
    );
    await container.create();
    store = new BlobCheckpointStore(container);
  });
  afterEach(() => container.delete());

  it("abandons exactly the claims of the given owner and leaves another consumer's alone", async () => {
    await store.claimOwnership([claim("0", "me"), claim("1", "me"), claim("2", "someone-else")]);
    expect(await releaseOwnClaims(store, hub, "me")).toBe(2);
    const owners = Object.fromEntries(
      (await store.listOwnership(hub.fullyQualifiedNamespace, hub.eventHubName, hub.consumerGroup)).map(
        (c) => [c.partitionId, c.ownerId],
      ),
    );
    expect(owners).toEqual({ "0": "", "1": "", "2": "someone-else" });
    expect(await releaseOwnClaims(store, hub, "me")).toBe(0);
  });

  it("keeps one consumer id per data folder and trigger, across starts", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "consumer-id-"));
    try {
      const first = stableConsumerId(dir, "ingest");
      expect(stableConsumerId(dir, "ingest")).toBe(first);
      expect(stableConsumerId(dir, "other")).not.toBe(first);
      const elsewhere = mkdtempSync(path.join(tmpdir(), "consumer-id-"));
      try {
        expect(stableConsumerId(elsewhere, "ingest")).not.toBe(first);
      } finally {
        rmSync(elsewhere, { recursive: true, force: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
