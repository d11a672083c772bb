import type { FunctionsCoreShim } from "../functionsCore";
import { ActivityRunner } from "./activityRunner";
import { type Episode, openWork, runEpisode } from "./episodeRunner";
import { EventType, executionTerminated, type HistoryEvent } from "./historyEvents";
import { claimInstance, newExecutionId, validInstanceId } from "./instanceClaim";
import { type InstanceMeta, type InstanceStore, isFinished } from "./instanceStore";
import { Residency } from "./residency";
import { type Clock, TimerWheel } from "./timers";
import { type Delivery, type Parent, type StartResult, timerKey, WorkDispatcher } from "./workDispatch";

export type { Delivery, StartResult } from "./workDispatch";

/**
 * Holds up to `maxLoaded` unfinished instances in memory next to their stored state (the others wait in storage,
 * see Residency), folds whatever arrived into one episode at a time per instance, commits it (one transaction:
 * episode rows, ETag-checked meta row, folded inbox rows) and starts the work the episode asked for.
 */
interface Live {
  meta: InstanceMeta;
  etag: string;
  history: HistoryEvent[];
  pending: HistoryEvent[];
  busy: boolean;
}

export type Log = (level: "info" | "warn" | "error", message: string) => void;
export interface Residents {
  readonly loaded: number;
  readonly unloaded: number;
  /** The most instances loaded (or loading) at once so far. */
  readonly peakLoaded: number;
}
const RELOAD_AFTER_MS = 1000;
/** Something to fold, or a new execution that has not run its first episode. */
const hasWork = (live: Live): boolean => live.pending.length > 0 || live.meta.episodeCount === 0;

export class OrchestrationHost {
  private readonly live = new Map<string, Live>();
  private readonly residency: Residency;
  private peakLoaded = 0;
  private readonly idleWaiters = new Set<() => void>();
  private readonly background = new Set<Promise<unknown>>();
  readonly activities: ActivityRunner;
  readonly timers: TimerWheel;
  private stopped = false;
  private readonly work: WorkDispatcher;

  constructor(
    private readonly shim: FunctionsCoreShim,
    readonly store: InstanceStore,
    private readonly clock: Clock,
    limits: { readonly maxConcurrentActivities: number; readonly maxLoaded: number },
    private readonly log: Log,
  ) {
    this.residency = new Residency(limits.maxLoaded);
    this.timers = new TimerWheel(clock);
    this.activities = new ActivityRunner(
      shim,
      limits.maxConcurrentActivities,
      clock,
      async (job, event) => void (await this.deliver(job.instanceId, job.executionId, event, true)),
      (message) => log("warn", message),
    );
    this.work = new WorkDispatcher({
      activities: this.activities,
      timers: this.timers,
      clock,
      store,
      startNew: (name, id, input, parent) => this.startNew(name, id, input, parent),
      deliver: (id, execution, event, persist) => this.deliver(id, execution, event, persist),
      track: (work) => this.track(work),
    });
  }

  /** Queues every unfinished instance; each loads (history, open work, inbox) as a slot frees up. */
  async resumeAll(): Promise<void> {
    for await (const meta of this.store.listMetas())
      if (!isFinished(meta.runtimeStatus) && !this.live.has(meta.instanceId))
        this.residency.enqueue(meta.instanceId);
    this.pumpLoads();
  }

  residents(): Residents {
    return { loaded: this.live.size, unloaded: this.residency.unloaded, peakLoaded: this.peakLoaded };
  }

  async startNew(
    name: string,
    instanceId: string | undefined,
    input: string | undefined,
    parent?: Parent,
  ): Promise<StartResult> {
    const fn = this.shim.functions.get(name);
    if (fn === undefined || fn.trigger.type.toLowerCase() !== "orchestrationtrigger")
      return { kind: "UnknownOrchestrator" };
    if (this.stopped) return { kind: "Stopped" };
    const id = instanceId ?? newExecutionId();
    if (!validInstanceId(id)) return { kind: "InvalidId" };
    if (this.live.has(id) || this.residency.has(id)) return { kind: "Conflict" };
    const now = this.clock.now().toISOString();
    const meta: InstanceMeta = {
      instanceId: id,
      name,
      executionId: newExecutionId(),
      runtimeStatus: "Pending",
      createdTime: now,
      lastUpdatedTime: now,
      episodeCount: 0,
      input,
      parentInstanceId: parent?.instanceId,
      parentExecutionId: parent?.executionId,
      parentTaskId: parent?.taskId,
    };
    const etag = await claimInstance(this.store, meta, (work) => this.track(work));
    if (etag === undefined) return { kind: "Conflict" };
    if (this.hasRoom() && !this.residency.waiting) {
      this.load({ meta, etag, history: [], pending: [], busy: false });
    } else {
      // Only the id waits in memory; the input is in the meta row and is read back on loading.
      this.residency.enqueue(id);
      this.pumpLoads();
    }
    return { kind: "Started", instanceId: id };
  }

  /** Hands an event to an instance: persisted to its inbox first when `persist`, then folded. */
  async deliver(
    instanceId: string,
    executionId: string | undefined,
    event: HistoryEvent,
    persist: boolean,
  ): Promise<Delivery> {
    const loaded = this.live.get(instanceId);
    if (loaded === undefined && !this.residency.has(instanceId)) {
      const stored = await this.store.readMeta(instanceId);
      return stored === undefined ? "NotFound" : "Gone";
    }
    if (!persist) return this.handOver(instanceId, executionId ?? loaded?.meta.executionId, event);
    const execution =
      executionId ?? loaded?.meta.executionId ?? (await this.store.readMeta(instanceId))?.meta.executionId;
    if (execution === undefined) return "NotFound";
    const stamped = await this.store.inbox.write(instanceId, execution, event);
    // A load that started before the write may have read the inbox without it: hand it over once loaded.
    await this.residency.settled(instanceId);
    return this.handOver(instanceId, execution, stamped);
  }

  /**
   * Gives an event to a loaded instance, or wakes an instance that is not loaded.
   * Failure policy: an instance that is not loaded keeps nothing in memory: a persisted event waits in its inbox
   * and a fired timer is re-armed from history when it loads (past due, it fires at once).
   */
  private handOver(instanceId: string, execution: string | undefined, event: HistoryEvent): Delivery {
    const live = this.live.get(instanceId);
    if (live === undefined) {
      if (!this.residency.has(instanceId)) return "Gone";
      this.residency.wake(instanceId);
      this.pumpLoads();
      return "Accepted";
    }
    if (execution !== undefined && live.meta.executionId !== execution) return "Gone";
    live.pending.push(event);
    this.schedule(live);
    return "Accepted";
  }

  terminate(instanceId: string, reason: string): Promise<Delivery> {
    return this.deliver(instanceId, undefined, executionTerminated(this.clock.now(), reason), true);
  }

  async whenIdle(timeoutMs: number): Promise<void> {
    if (this.isIdle()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.idleWaiters.delete(done);
        const unfinished = this.live.size + this.residency.unloaded;
        reject(new Error(`Still ${unfinished} unfinished instance(s) after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.idleWaiters.add(done);
    });
  }

  /** Starts nothing new; waits up to `graceMs` for running activities, then for episodes and writes in flight. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.timers.stop();
    await this.activities.stop(graceMs);
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private isIdle(): boolean {
    return this.live.size === 0 && this.residency.unloaded === 0;
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    for (const waiter of [...this.idleWaiters]) waiter();
    this.idleWaiters.clear();
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) =>
      this.log("warn", `background storage work failed: ${String(error)}`),
    );
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }

  private hasRoom(): boolean {
    return this.live.size + this.residency.loadingCount < this.residency.limit;
  }

  /** Loads queued instances while there is room, making room by evicting instances that only wait. */
  private pumpLoads(): void {
    while (!this.stopped && this.residency.waiting) {
      if (this.hasRoom()) {
        const loading = this.residency.startLoading((id) => this.reload(id));
        if (loading !== undefined) this.track(loading.then(() => this.pumpLoads()));
        continue;
      }
      const victim = this.residency.nextEvictable();
      if (victim === undefined) return;
      this.evict(victim);
    }
  }

  /** Drops an instance that waits only for messages from memory; its timers stay armed and wake it. */
  private evict(instanceId: string): void {
    const live = this.live.get(instanceId);
    if (live === undefined || live.busy || live.pending.length > 0) {
      this.residency.unmarkEvictable(instanceId);
      return;
    }
    this.live.delete(instanceId);
    this.residency.sleep(instanceId);
  }

  /** Forgets a loaded instance (finished, failed to run, or without an orchestrator) and frees its slot. */
  private unload(instanceId: string): void {
    this.live.delete(instanceId);
    this.residency.unmarkEvictable(instanceId);
    this.pumpLoads();
  }

  private load(live: Live): void {
    this.live.set(live.meta.instanceId, live);
    const loaded =
      this.live.size + this.residency.loadingCount - (this.residency.isLoading(live.meta.instanceId) ? 1 : 0);
    this.peakLoaded = Math.max(this.peakLoaded, loaded);
    if (hasWork(live)) this.schedule(live);
    else this.settle(live);
  }

  private schedule(live: Live): void {
    if (live.busy || this.stopped || !hasWork(live)) return;
    live.busy = true;
    this.residency.unmarkEvictable(live.meta.instanceId);
    this.track(
      this.runEpisodes(live).finally(() => {
        live.busy = false;
        if (this.live.get(live.meta.instanceId) !== live) return;
        if (hasWork(live)) this.schedule(live);
        else this.settle(live);
      }),
    );
  }

  /** An instance with nothing to fold may give up its slot unless it waits for an activity (those end soon). */
  private settle(live: Live): void {
    if (openWork(live.history).some((e) => e.EventType === EventType.TaskScheduled)) return;
    this.residency.markEvictable(live.meta.instanceId);
    if (this.residency.waiting) this.pumpLoads();
  }

  private async runEpisodes(live: Live): Promise<void> {
    const fn = this.shim.functions.get(live.meta.name);
    if (fn === undefined) {
      // Failure policy: the instance stays as stored and resumes once a runtime with that orchestrator starts.
      this.log(
        "error",
        `no orchestrator named ${live.meta.name}; instance ${live.meta.instanceId} is left as stored`,
      );
      this.unload(live.meta.instanceId);
      this.notifyIdle();
      return;
    }
    const batch = live.pending.splice(0);
    try {
      const episode = await runEpisode({
        fn,
        meta: live.meta,
        history: live.history,
        batch,
        now: this.clock.now(),
        log: (m) => this.log("warn", m),
      });
      await this.commit(live, episode);
    } catch (error) {
      // Failure policy: nothing of the batch is lost: it is in the inbox (results, events) or re-armed from
      // history (timers); the instance is reloaded from storage and retried.
      this.log(
        "error",
        `episode of ${live.meta.instanceId} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      this.unload(live.meta.instanceId);
      this.reloadLater(live.meta.instanceId);
    }
  }

  private async commit(live: Live, episode: Episode): Promise<void> {
    const { meta } = live;
    const next: InstanceMeta = { ...episode.meta, episodeCount: meta.episodeCount + 1 };
    live.etag = await this.store.commitEpisode(next, live.etag, episode.events, episode.foldedKeys);
    live.meta = next;
    live.history.push(...episode.events);
    episode.cancelledTimers.forEach((id) => this.timers.disarm(timerKey(meta, id)));
    if (episode.continueAsNew !== undefined) await this.continueAsNew(live, episode.continueAsNew.input);
    else if (isFinished(next.runtimeStatus)) await this.finished(live);
    else episode.work.forEach((e) => this.work.dispatch(live.meta, e));
  }

  private async continueAsNew(live: Live, input: string | undefined): Promise<void> {
    openWork(live.history).forEach((e) => this.timers.disarm(timerKey(live.meta, e.EventId)));
    const carried = live.pending.filter((e) => e.EventType === EventType.EventRaised);
    const meta: InstanceMeta = {
      ...live.meta,
      executionId: newExecutionId(),
      episodeCount: 0,
      input,
      output: undefined,
    };
    live.etag = await this.store.writeMeta(meta, live.etag);
    this.track(this.store.deleteExecution(meta.instanceId, live.meta.executionId));
    Object.assign(live, { meta, history: [], pending: carried });
  }

  private async finished(live: Live): Promise<void> {
    const { meta } = live;
    this.unload(meta.instanceId);
    openWork(live.history).forEach((e) => this.timers.disarm(timerKey(meta, e.EventId)));
    this.log("info", `orchestration ${meta.name} ${meta.instanceId} ${meta.runtimeStatus}`);
    if (meta.parentInstanceId !== undefined && meta.parentTaskId !== undefined) {
      await this.work
        .notifyParent(meta)
        .catch((e: unknown) => this.log("warn", `could not notify a parent: ${String(e)}`));
    }
    this.notifyIdle();
  }

  /** Failure policy: an instance that could not be loaded or run stays as stored and loads again a second later. */
  private reloadLater(instanceId: string): void {
    if (this.stopped) return;
    this.residency.sleep(instanceId);
    setTimeout(() => {
      this.residency.wake(instanceId);
      this.pumpLoads();
    }, RELOAD_AFTER_MS);
  }

  /** Loads one queued instance from storage: history, open work (re-sent at least once) and inbox. */
  private async reload(instanceId: string): Promise<void> {
    try {
      const stored = await this.store.readMeta(instanceId);
      if (stored === undefined || isFinished(stored.meta.runtimeStatus) || this.live.has(instanceId)) return;
      const { meta, etag } = stored;
      const history =
        meta.episodeCount === 0
          ? []
          : await this.store.readHistory(instanceId, meta.executionId, meta.episodeCount);
      const inbox = await this.store.inbox.read(instanceId);
      const stale = inbox.filter((i) => i.executionId !== meta.executionId).map((i) => i.key);
      if (stale.length > 0) this.track(this.store.inbox.delete(instanceId, stale));
      const pending = inbox.filter((i) => i.executionId === meta.executionId).map((i) => i.event);
      const answered = new Set(pending.map((e) => e.TaskScheduledId ?? e.TimerId));
      openWork(history)
        .filter((e) => !answered.has(e.EventId))
        .forEach((e) => this.work.dispatch(meta, e));
      this.load({ meta, etag, history, pending, busy: false });
    } catch (error) {
      this.log(
        "warn",
        `could not load ${instanceId}: ${error instanceof Error ? error.message : String(error)}`,
      );
      this.reloadLater(instanceId);
    }
  }
}
