/**
 * Which unfinished instances are loaded (held in memory with their history) and which are not. At most `limit`
 * are loaded or loading at once; the others are `queued` (they have something to do: new, woken by a message,
 * recovered after a restart) and load first in, first out as slots free up, or `asleep` (evicted while they
 * waited only for timers, events or sub-orchestrations; a message wakes them). Loaded instances that wait like
 * that are `evictable`: they give up their slot when a queued instance needs it.
 *
 * This plays the part of the Azure Storage backend's bounded control-queue buffer (controlQueueBufferThreshold):
 * a backlog waits in storage, not in memory.
 */
export class Residency {
  private readonly queued = new Set<string>();
  private readonly asleep = new Set<string>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly evictable = new Set<string>();

  constructor(readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new Error("maxLoadedOrchestrations must be at least 1");
  }

  /** Known unfinished but not loaded: queued, asleep or loading. */
  has(id: string): boolean {
    return this.queued.has(id) || this.asleep.has(id) || this.loading.has(id);
  }

  /** Unfinished instances that are not loaded. */
  get unloaded(): number {
    return this.queued.size + this.asleep.size + this.loading.size;
  }

  isLoading(id: string): boolean {
    return this.loading.has(id);
  }

  get loadingCount(): number {
    return this.loading.size;
  }

  get waiting(): boolean {
    return this.queued.size > 0;
  }

  enqueue(id: string): void {
    this.asleep.delete(id);
    this.queued.add(id);
  }

  /** Queues an asleep instance; a queued or loading one stays where it is. */
  wake(id: string): void {
    if (this.asleep.delete(id)) this.queued.add(id);
  }

  sleep(id: string): void {
    this.evictable.delete(id);
    this.queued.delete(id);
    this.asleep.add(id);
  }

  /** Loads the next queued id, counted as loading until `load` settles; undefined when none is queued. */
  startLoading(load: (id: string) => Promise<void>): Promise<void> | undefined {
    const id = this.queued.values().next().value;
    if (id === undefined) return undefined;
    this.queued.delete(id);
    const loading = load(id).finally(() => this.loading.delete(id));
    this.loading.set(id, loading);
    return loading;
  }

  /** Resolves once a load of `id` in progress has settled (at once when none is). */
  async settled(id: string): Promise<void> {
    await this.loading.get(id);
  }

  markEvictable(id: string): void {
    this.evictable.add(id);
  }

  /** The loaded instance no longer waits only for messages (it is busy, gone or evicted). */
  unmarkEvictable(id: string): void {
    this.evictable.delete(id);
  }

  /** The loaded instance that has waited longest, if any may be evicted. */
  nextEvictable(): string | undefined {
    return this.evictable.values().next().value;
  }

  /** Forgets everything (the host stops). */
  clear(): void {
    this.queued.clear();
    this.asleep.clear();
    this.evictable.clear();
  }
}
