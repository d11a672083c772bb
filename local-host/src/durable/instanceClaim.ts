import { randomUUID } from "node:crypto";

import { type InstanceMeta, type InstanceStore, isFinished } from "./instanceStore";
import { isStatus } from "./tableRows";

/** Instance ids are partition keys: no / \\ # ? or control characters, at most 512 characters; a leading "@"
    is kept for entities (their scheduler ids), as in the Durable Task Framework. */
export const validInstanceId = (id: string): boolean =>
  id.length > 0 &&
  !id.startsWith("@") &&
  id.length <= 512 &&
  [...id].every((c) => !"/\\#?".includes(c) && c.charCodeAt(0) >= 0x20 && (c < "\u007f" || c > "\u009f"));

export const newExecutionId = (): string => randomUUID().replace(/-/g, "");

/** The meta row of a new execution that has not run yet, linked to its parent task for a sub-orchestration. */
export const pendingMeta = (args: {
  instanceId: string;
  name: string;
  input: string | undefined;
  parent?: { readonly instanceId: string; readonly executionId: string; readonly taskId: number };
  now: Date;
}): InstanceMeta => ({
  instanceId: args.instanceId,
  name: args.name,
  executionId: newExecutionId(),
  runtimeStatus: "Pending",
  createdTime: args.now.toISOString(),
  lastUpdatedTime: args.now.toISOString(),
  episodeCount: 0,
  input: args.input,
  parentInstanceId: args.parent?.instanceId,
  parentExecutionId: args.parent?.executionId,
  parentTaskId: args.parent?.taskId,
});

/**
 * Writes the meta row of a new instance; undefined when the id is taken. `cleanUp` gets the deletion of a
 * replaced execution's rows (background work).
 * Failure policy: an unfinished instance with this id wins and nothing new starts (the extension answers 409);
 * a finished one is replaced by a new execution, as the extension does by default, and its old rows go.
 */
export const claimInstance = async (
  store: InstanceStore,
  meta: InstanceMeta,
  cleanUp: (work: Promise<void>) => void,
): Promise<string | undefined> => {
  try {
    return await store.writeMeta(meta);
  } catch (error) {
    if (!isStatus(409)(error)) throw error;
  }
  const existing = await store.readMeta(meta.instanceId);
  if (existing === undefined || !isFinished(existing.meta.runtimeStatus)) return undefined;
  try {
    const etag = await store.writeMeta(meta, existing.etag);
    cleanUp(store.deleteExecution(meta.instanceId, existing.meta.executionId));
    return etag;
  } catch (error) {
    if (isStatus(412)(error)) return undefined;
    throw error;
  }
};
