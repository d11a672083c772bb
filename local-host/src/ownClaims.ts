import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import type { CheckpointStore } from "@azure/event-hubs";

/**
 * A runtime killed without stopping leaves its partition claims behind, and another consumer waits for them to
 * expire (10 s here) before it takes the partitions. A runtime that knows its previous run's consumer id (stable
 * per data folder; the folder's pid lock makes sure that run is gone) gives those claims up at start instead, so
 * it resumes at once after a crash.
 */

/** The consumer id kept in `dataDir` for one Event Hub trigger: created on first use, the same on every start. */
export const stableConsumerId = (dataDir: string, functionName: string): string => {
  const file = path.join(dataDir, "eventhubs-consumer-id");
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${randomUUID()}\n`);
  }
  return `${readFileSync(file, "utf8").trim()}-${functionName}`;
};

/** Marks every claim owned by `ownerId` abandoned (owner ""), which consumers treat as free; returns how many. */
export const releaseOwnClaims = async (
  store: CheckpointStore,
  hub: { fullyQualifiedNamespace: string; eventHubName: string; consumerGroup: string },
  ownerId: string,
): Promise<number> => {
  const all = await store.listOwnership(hub.fullyQualifiedNamespace, hub.eventHubName, hub.consumerGroup);
  const ours = all.filter((claim) => claim.ownerId === ownerId).map((claim) => ({ ...claim, ownerId: "" }));
  if (ours.length === 0) return 0;
  // Claims are ETag-checked: one another consumer renewed meanwhile is not ours to release and stays as it is.
  return (await store.claimOwnership(ours)).length;
};
