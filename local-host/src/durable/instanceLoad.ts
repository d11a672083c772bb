import type { HistoryEvent } from "./historyEvents";
import { type InstanceMeta, type InstanceStore, isFinished } from "./instanceStore";

/** An unfinished instance as stored: meta row, history of its execution, and the inbox items not yet folded. */
export interface StoredInstance {
  readonly meta: InstanceMeta;
  readonly etag: string;
  readonly history: HistoryEvent[];
  readonly pending: HistoryEvent[];
}

/**
 * Reads an unfinished instance back from storage; undefined when it is gone or finished. Inbox items of an older
 * execution are deleted in the background (`cleanUp`): nothing will fold them.
 */
export const readUnfinished = async (
  store: InstanceStore,
  instanceId: string,
  cleanUp: (work: Promise<void>) => void,
): Promise<StoredInstance | undefined> => {
  const stored = await store.readMeta(instanceId);
  if (stored === undefined || isFinished(stored.meta.runtimeStatus)) return undefined;
  const { meta, etag } = stored;
  const history =
    meta.episodeCount === 0 ? [] : await store.readHistory(instanceId, meta.executionId, meta.episodeCount);
  const inbox = await store.inbox.read(instanceId);
  const stale = inbox.filter((i) => i.executionId !== meta.executionId).map((i) => i.key);
  if (stale.length > 0) cleanUp(store.inbox.delete(instanceId, stale));
  const pending = inbox.filter((i) => i.executionId === meta.executionId).map((i) => i.event);
  return { meta, etag, history, pending };
};
