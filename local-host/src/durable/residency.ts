/**
 * Which unfinished instances are loaded (held in memory with their history) and which wait in storage. At most
 * `limit` are loaded or loading at once; the others are `queued` (they have something to do: new, woken by a
 * message, recovered after a restart) and load first in, first out as slots free up, or `asleep` (evicted while
 * they waited only for timers, events or sub-orchestrations, until a message wakes them). Loaded instances that
 * wait like that are `evictable`: they give up their slot when a queued instance needs it.
 *
 * This plays the part of the Azure Storage backend's bounded control-queue buffer (controlQueueBufferThreshold):
 * a backlog waits in storage, not in memory.
 */
export interface ResidencyHooks<T> {
  /** Reads a queued instance back from storage; undefined when there is nothing to load (finished, gone). */
  read(id: string): Promise<T | undefined>;
  /** A queued instance is loaded (already counted): start its work. */
  loaded(id: string, value: T): void;
  /** Whether a loaded instance can be dropped right now (no episode running, nothing pending). */
  quiet(value: T): boolean;
  /** Background work the owner waits for when it stops. */
  track(work: Promise<unknown>): void;
  log(message: string): void;
}

const RELOAD_AFTER_MS = 1000;

export class Residency<T> {
  private readonly loadedById = new Map<string, T>();
  private readonly queued = new Set<string>();
  private readonly asleep = new Set<string>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly evictable = new Set<string>();
  private stopped = false;
  /** The most instances loaded or loading at once so far. */
  peak = 0;

  constructor(
    readonly limit: number,
    private readonly hooks: ResidencyHooks<T>,
  ) {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new Error("maxLoadedOrchestrations must be at least 1");
  }

  get(id: string): T | undefined {
    return this.loadedById.get(id);
  }

  get loadedCount(): number {
    return this.loadedById.size;
  }

  /** Unfinished instances that are not loaded: queued, asleep or loading. */
  get unloadedCount(): number {
    return this.queued.size + this.asleep.size + this.loading.size;
  }

  /** Known unfinished but not loaded. */
  isUnloaded(id: string): boolean {
    return this.queued.has(id) || this.asleep.has(id) || this.loading.has(id);
  }

  /** Whether a new instance may be loaded at once (nothing queued before it, a slot free). */
  hasRoomNow(): boolean {
    return this.queued.size === 0 && this.hasRoom();
  }

  add(id: string, value: T): void {
    this.loadedById.set(id, value);
    this.peak = Math.max(
      this.peak,
      this.loadedById.size + this.loading.size - (this.loading.has(id) ? 1 : 0),
    );
  }

  /** Forgets a loaded instance (finished, failed, without an orchestrator) and gives its slot to the queue. */
  remove(id: string): void {
    this.loadedById.delete(id);
    this.evictable.delete(id);
    this.pump();
  }

  enqueue(id: string): void {
    this.asleep.delete(id);
    this.queued.add(id);
    this.pump();
  }

  /** Queues an asleep instance (a message arrived); a queued or loading one stays where it is. */
  wake(id: string): void {
    if (this.asleep.delete(id)) this.queued.add(id);
    this.pump();
  }

  /** Resolves once a load of `id` in progress has settled (at once when none is). */
  async settled(id: string): Promise<void> {
    await this.loading.get(id);
  }

  /** The loaded instance waits only for messages: it may give up its slot. */
  markEvictable(id: string): void {
    this.evictable.add(id);
    this.pump();
  }

  unmarkEvictable(id: string): void {
    this.evictable.delete(id);
  }

  /** Failure policy: an instance that could not be loaded or run stays as stored and loads again a second later. */
  reloadLater(id: string): void {
    this.loadedById.delete(id);
    this.evictable.delete(id);
    if (this.stopped) return;
    this.asleep.add(id);
    setTimeout(() => this.wake(id), RELOAD_AFTER_MS);
    this.pump();
  }

  stop(): void {
    this.stopped = true;
  }

  private hasRoom(): boolean {
    return this.loadedById.size + this.loading.size < this.limit;
  }

  /** Loads queued instances while there is room, making room by evicting instances that only wait. */
  private pump(): void {
    while (!this.stopped && this.queued.size > 0) {
      if (this.hasRoom()) {
        this.startLoading();
        continue;
      }
      const victim: string | undefined = this.evictable.values().next().value;
      if (victim === undefined) return;
      this.evictable.delete(victim);
      const value = this.loadedById.get(victim);
      if (value === undefined || !this.hooks.quiet(value)) continue;
      // Its timers stay armed and wake it; events for it wait in its inbox.
      this.loadedById.delete(victim);
      this.asleep.add(victim);
    }
  }

  private startLoading(): void {
    const id: string | undefined = this.queued.values().next().value;
    if (id === undefined) return;
    this.queued.delete(id);
    const loading = this.load(id).finally(() => {
      this.loading.delete(id);
      this.pump();
    });
    this.loading.set(id, loading);
    this.hooks.track(loading);
  }

  private async load(id: string): Promise<void> {
    try {
      const value = await this.hooks.read(id);
      if (value === undefined || this.loadedById.has(id) || this.stopped) return;
      this.add(id, value);
      this.hooks.loaded(id, value);
    } catch (error) {
      this.hooks.log(`could not load ${id}: ${error instanceof Error ? error.message : String(error)}`);
      this.reloadLater(id);
    }
  }
}
