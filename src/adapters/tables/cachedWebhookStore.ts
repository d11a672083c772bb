import { type StoredWebhook, type WebhookStore } from "./webhookStore";

export interface CachedWebhookStore extends WebhookStore {
  /** Every webhook, served from a cache at most `ttlMs` old (the dispatch path's read). */
  readonly listCached: () => Promise<ReadonlyArray<StoredWebhook>>;
  readonly invalidate: () => void;
}

/**
 * A read-through cache over the store for the dispatch path. Writes through this instance invalidate it at once;
 * writes made elsewhere (another instance) show up within the TTL.
 * Failure policy: a failed reload is not cached, so the next call tries the table again.
 */
export const withReadThroughCache = (
  store: WebhookStore,
  ttlMs: number,
  clock: { now(): Date },
): CachedWebhookStore => {
  let cached: { at: number; items: Promise<ReadonlyArray<StoredWebhook>> } | undefined;
  let generation = 0;
  const invalidate = (): void => {
    cached = undefined;
    generation++;
  };
  const invalidating =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await write(...args);
      } finally {
        invalidate();
      }
    };

  return {
    ...store,
    create: invalidating(store.create),
    replace: invalidating(store.replace),
    remove: invalidating(store.remove),
    rotateSecret: invalidating(store.rotateSecret),
    disable: invalidating(store.disable),
    invalidate,
    listCached() {
      const now = clock.now().getTime();
      if (cached !== undefined && now - cached.at < ttlMs) return cached.items;
      const startedIn = generation;
      const items = store.list();
      const entry = { at: now, items };
      cached = entry;
      items.catch(() => {
        if (cached === entry) cached = undefined;
      });
      // A write that lands while this load is in flight may not be in its result: do not keep it.
      void items.then(
        () => {
          if (generation !== startedIn && cached === entry) cached = undefined;
        },
        () => undefined,
      );
      return items;
    },
  };
};
