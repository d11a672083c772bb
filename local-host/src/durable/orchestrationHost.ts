import { count } from "../counters";
import type { CapturedFunction, FunctionsCoreShim } from "../functionsCore";
import type { LocalLog } from "../invocation";
import type { RpcTypedData } from "../workerInvocation";
import { ActivityRunner } from "./activityRunner";
import type { EntityRequest } from "./entityStore";
import { type Episode, openWork, runEpisode } from "./episodeRunner";
import { EventType, executionTerminated, type HistoryEvent } from "./historyEvents";
import { IdleWaiters } from "./idleWaiters";
import { claimInstance, newExecutionId, pendingMeta, validInstanceId } from "./instanceClaim";
import { readUnfinished } from "./instanceLoad";
import { type InstanceMeta, type InstanceStore, isFinished } from "./instanceStore";
import { Residency } from "./residency";
import { hasControlEvent } from "./suspension";
import { type Clock, TimerWheel } from "./timers";
import { type Parent, type PostResult, type StartResult, timerKey, WorkRouter } from "./workRouter";

export type { PostResult, StartResult } from "./workRouter";

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
/** Something to fold (while suspended, only a suspend, resume or termination), or a new execution that has not
    run its first episode. */
const hasWork = (live: Live): boolean =>
  live.meta.episodeCount === 0 ||
  (live.meta.runtimeStatus === "Suspended" ? hasControlEvent(live.pending) : live.pending.length > 0);

export class OrchestrationHost {
  private readonly live: Residency<Live>;
  private readonly idle = new IdleWaiters(() => this.live.loadedCount + this.live.unloadedCount);
  private readonly background = new Set<Promise<unknown>>();
  readonly activities: ActivityRunner;
  readonly timers: TimerWheel;
  private stopped = false;
  private readonly work: WorkRouter;
  /** Delivers an orchestrator's message to an entity's inbox (set by DurableRuntime to its EntityHost). */
  deliverToEntity: (target: string, request: EntityRequest) => Promise<void> = () =>
    Promise.reject(new Error("this runtime has no entity host"));

  constructor(
    private readonly shim: FunctionsCoreShim,
    readonly store: InstanceStore,
    private readonly clock: Clock,
    limits: {
      readonly maxConcurrentActivities: number;
      readonly maxLoaded: number;
      readonly functionTimeoutMs?: number;
    },
    private readonly log: Log,
    private readonly functionLog: LocalLog,
    clientInputs?: (fn: CapturedFunction) => Readonly<Record<string, RpcTypedData>>,
  ) {
    this.live = new Residency<Live>(limits.maxLoaded, {
      read: (id) => this.read(id),
      loaded: (_id, live) => this.begin(live),
      // Failure policy: a suspended instance may be dropped with held events: results and raised events wait in
      // its inbox, and timers that fired are re-armed from history (past due) when it loads again.
      quiet: (live) => !live.busy && !hasWork(live),
      track: (work) => this.track(work),
      log: (message) => log("warn", message),
    });
    this.timers = new TimerWheel(clock);
    this.activities = new ActivityRunner(
      shim,
      limits.maxConcurrentActivities,
      clock,
      async (job, event) => void (await this.post(job.instanceId, job.executionId, event, true)),
      (message) => log("warn", message),
      functionLog,
      limits.functionTimeoutMs,
      clientInputs,
    );
    this.work = new WorkRouter({
      activities: this.activities,
      timers: this.timers,
      clock,
      store,
      startNew: (name, id, input, parent) => this.startNew(name, id, input, parent),
      post: (id, execution, event, persist) => this.post(id, execution, event, persist),
      track: (work) => this.track(work),
    });
  }

  /** Queues every unfinished instance; each loads (history, open work, inbox) as a slot frees up. */
  async resumeAll(): Promise<void> {
    for await (const meta of this.store.listMetas())
      if (!isFinished(meta.runtimeStatus) && this.live.get(meta.instanceId) === undefined)
        this.live.enqueue(meta.instanceId);
  }

  residents(): Residents {
    return { loaded: this.live.loadedCount, unloaded: this.live.unloadedCount, peakLoaded: this.live.peak };
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
    if (this.live.get(id) !== undefined || this.live.isUnloaded(id)) return { kind: "Conflict" };
    const meta = pendingMeta({ instanceId: id, name, input, parent, now: this.clock.now() });
    const etag = await claimInstance(this.store, meta, (work) => this.track(work));
    if (etag === undefined) return { kind: "Conflict" };
    count("durable.orchestrationsStarted");
    if (this.live.hasRoomNow()) {
      const live: Live = { meta, etag, history: [], pending: [], busy: false };
      this.live.add(id, live);
      this.begin(live);
    } else {
      this.live.enqueue(id); // only the id waits in memory: the input is in the meta row, read back on loading
    }
    return { kind: "Started", instanceId: id };
  }

  /** Posts an event to an instance: persisted to its inbox first when `persist`, then handed over to be folded. */
  async post(
    instanceId: string,
    executionId: string | undefined,
    event: HistoryEvent,
    persist: boolean,
  ): Promise<PostResult> {
    const loaded = this.live.get(instanceId);
    if (loaded === undefined && !this.live.isUnloaded(instanceId)) {
      const stored = await this.store.readMeta(instanceId);
      return stored === undefined ? "NotFound" : "Gone";
    }
    if (!persist) return this.handOver(instanceId, executionId ?? loaded?.meta.executionId, event);
    const execution =
      executionId ?? loaded?.meta.executionId ?? (await this.store.readMeta(instanceId))?.meta.executionId;
    if (execution === undefined) return "NotFound";
    const stamped = await this.store.inbox.write(instanceId, execution, event);
    // A load that started before the write may have read the inbox without it: hand it over once loaded.
    await this.live.settled(instanceId);
    return this.handOver(instanceId, execution, stamped);
  }

  /**
   * Gives an event to a loaded instance, or wakes an instance that is not loaded.
   * Failure policy: an instance that is not loaded keeps nothing in memory: a persisted event waits in its inbox
   * and a fired timer is re-armed from history when it loads (past due, it fires at once).
   */
  private handOver(instanceId: string, execution: string | undefined, event: HistoryEvent): PostResult {
    const live = this.live.get(instanceId);
    if (live === undefined) {
      if (!this.live.isUnloaded(instanceId)) return "Gone";
      this.live.wake(instanceId);
      return "Accepted";
    }
    if (execution !== undefined && live.meta.executionId !== execution) return "Gone";
    live.pending.push(event);
    this.schedule(live);
    return "Accepted";
  }

  terminate(instanceId: string, reason: string): Promise<PostResult> {
    return this.post(instanceId, undefined, executionTerminated(this.clock.now(), reason), true);
  }

  whenIdle(timeoutMs: number): Promise<void> {
    return this.idle.wait(timeoutMs);
  }

  /** Starts nothing new; waits up to `graceMs` for running activities, then for episodes and writes in flight. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.live.stop();
    this.timers.stop();
    await this.activities.stop(graceMs);
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) =>
      this.log("warn", `background storage work failed: ${String(error)}`),
    );
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }

  /** A loaded instance starts: its first episode or what is pending, or it waits (and may give up its slot). */
  private begin(live: Live): void {
    if (hasWork(live)) this.schedule(live);
    else this.settle(live);
  }

  private schedule(live: Live): void {
    if (live.busy || this.stopped || !hasWork(live)) return;
    live.busy = true;
    this.live.unmarkEvictable(live.meta.instanceId);
    this.track(
      this.runEpisodes(live).finally(() => {
        live.busy = false;
        if (this.live.get(live.meta.instanceId) === live) this.begin(live);
      }),
    );
  }

  /** An instance with nothing to fold may give up its slot unless it waits for an activity (those end soon). */
  private settle(live: Live): void {
    if (openWork(live.history).some((e) => e.EventType === EventType.TaskScheduled)) return;
    this.live.markEvictable(live.meta.instanceId);
  }

  private async runEpisodes(live: Live): Promise<void> {
    const fn = this.shim.functions.get(live.meta.name);
    if (fn === undefined) {
      // Failure policy: the instance stays as stored and resumes once a runtime with that orchestrator starts.
      this.log(
        "error",
        `no orchestrator named ${live.meta.name}; instance ${live.meta.instanceId} is left as stored`,
      );
      this.live.remove(live.meta.instanceId);
      this.idle.notify();
      return;
    }
    const batch = live.pending.splice(0);
    try {
      const episode = await runEpisode({
        shim: this.shim,
        fn,
        meta: live.meta,
        history: live.history,
        batch,
        now: this.clock.now(),
        log: this.functionLog,
      });
      await this.commit(live, episode);
    } catch (error) {
      // Failure policy: nothing of the batch is lost: it is in the inbox (results, events) or re-armed from
      // history (timers); the instance is reloaded from storage and retried.
      this.log(
        "error",
        `episode of ${live.meta.instanceId} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      this.live.reloadLater(live.meta.instanceId);
    }
  }

  private async commit(live: Live, episode: Episode): Promise<void> {
    const { meta } = live;
    const next: InstanceMeta = { ...episode.meta, episodeCount: meta.episodeCount + 1 };
    // Messages to entities go out before the episode that sends them commits (their ids are derived from the
    // sender, so an episode that is run again sends the same ones, and entities drop a request they already ran).
    for (const e of episode.sends)
      await this.deliverToEntity(e.InstanceId ?? "", JSON.parse(e.Input ?? "{}") as EntityRequest);
    live.etag = await this.store.commitEpisode(next, live.etag, episode.events, episode.foldedKeys);
    live.meta = next;
    live.history.push(...episode.events);
    live.pending.unshift(...episode.held);
    episode.cancelledTimers.forEach((id) => this.timers.disarm(timerKey(meta, id)));
    if (episode.continueAsNew !== undefined) await this.continueAsNew(live, episode.continueAsNew.input);
    else if (isFinished(next.runtimeStatus)) await this.finished(live);
    else episode.work.forEach((e) => this.work.route(live.meta, e));
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
    this.live.remove(meta.instanceId);
    openWork(live.history).forEach((e) => this.timers.disarm(timerKey(meta, e.EventId)));
    this.log("info", `orchestration ${meta.name} ${meta.instanceId} ${meta.runtimeStatus}`);
    if (meta.parentInstanceId !== undefined && meta.parentTaskId !== undefined) {
      await this.work
        .notifyParent(meta)
        .catch((e: unknown) => this.log("warn", `could not notify a parent: ${String(e)}`));
    }
    this.idle.notify();
  }

  /** Reads a queued instance back and re-sends its open work (at least once); the inbox becomes its pending. */
  private async read(instanceId: string): Promise<Live | undefined> {
    const stored = await readUnfinished(this.store, instanceId, (work) => this.track(work));
    if (stored === undefined || this.live.get(instanceId) !== undefined) return undefined;
    const answered = new Set(stored.pending.map((e) => e.TaskScheduledId ?? e.TimerId));
    openWork(stored.history)
      .filter((e) => !answered.has(e.EventId))
      .forEach((e) => this.work.route(stored.meta, e));
    return { ...stored, busy: false };
  }
}
