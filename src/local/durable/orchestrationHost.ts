import { randomUUID } from "node:crypto";

import type { FunctionsCoreShim } from "../functionsCore";
import { ActivityRunner } from "./activityRunner";
import { type Episode, openWork, runEpisode } from "./episodeRunner";
import { EventType, executionTerminated, type HistoryEvent } from "./historyEvents";
import { type InstanceMeta, type InstanceStore, isFinished } from "./instanceStore";
import { isStatus } from "./tableRows";
import { type Clock, TimerWheel } from "./timers";
import { type Delivery, type Parent, type StartResult, timerKey, WorkDispatcher } from "./workDispatch";

export type { Delivery, StartResult } from "./workDispatch";

/**
 * Keeps every unfinished instance in memory next to its stored state, folds whatever arrived into one episode
 * at a time per instance, commits it (one transaction: episode rows, ETag-checked meta row, folded inbox rows)
 * and starts the work the episode asked for.
 */
interface Live {
  meta: InstanceMeta;
  etag: string;
  history: HistoryEvent[];
  pending: HistoryEvent[];
  busy: boolean;
}

export type Log = (level: "info" | "warn" | "error", message: string) => void;
/** Instance ids are partition keys: no / \\ # ? or control characters, at most 512 characters. */
const validInstanceId = (id: string): boolean =>
  id.length > 0 &&
  id.length <= 512 &&
  [...id].every((c) => !"/\\#?".includes(c) && c.charCodeAt(0) >= 0x20 && (c < "\u007f" || c > "\u009f"));
const newExecutionId = (): string => randomUUID().replace(/-/g, "");

export class OrchestrationHost {
  private readonly live = new Map<string, Live>();
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
    maxConcurrentActivities: number,
    private readonly log: Log,
  ) {
    this.timers = new TimerWheel(clock);
    this.activities = new ActivityRunner(
      shim,
      maxConcurrentActivities,
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

  /** Loads every unfinished instance and resumes it from stored history and inbox. */
  async resumeAll(): Promise<void> {
    const unfinished: string[] = [];
    for await (const meta of this.store.listMetas())
      if (!isFinished(meta.runtimeStatus)) unfinished.push(meta.instanceId);
    await Promise.all(unfinished.map((id) => this.recover(id)));
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
    const id = instanceId ?? randomUUID().replace(/-/g, "");
    if (!validInstanceId(id)) return { kind: "InvalidId" };
    if (this.live.has(id)) return { kind: "Conflict" };
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
    const etag = await this.claim(meta);
    if (etag === undefined) return { kind: "Conflict" };
    const live: Live = { meta, etag, history: [], pending: [], busy: false };
    this.live.set(id, live);
    this.schedule(live);
    return { kind: "Started", instanceId: id };
  }

  /**
   * Writes the meta row of a new instance; undefined when the id is taken.
   * Failure policy: an unfinished instance with this id wins and nothing new starts (the extension answers 409);
   * a finished one is replaced by a new execution, as the extension does by default, and its old rows go.
   */
  private async claim(meta: InstanceMeta): Promise<string | undefined> {
    try {
      return await this.store.writeMeta(meta);
    } catch (error) {
      if (!isStatus(409)(error)) throw error;
    }
    const existing = await this.store.readMeta(meta.instanceId);
    if (existing === undefined || !isFinished(existing.meta.runtimeStatus)) return undefined;
    try {
      const etag = await this.store.writeMeta(meta, existing.etag);
      this.track(this.store.deleteExecution(meta.instanceId, existing.meta.executionId));
      return etag;
    } catch (error) {
      if (isStatus(412)(error)) return undefined;
      throw error;
    }
  }

  /** Hands an event to an instance: persisted to its inbox first when `persist`, then folded. */
  async deliver(
    instanceId: string,
    executionId: string | undefined,
    event: HistoryEvent,
    persist: boolean,
  ): Promise<Delivery> {
    let live = this.live.get(instanceId);
    if (live === undefined) {
      const stored = await this.store.readMeta(instanceId);
      return stored === undefined ? "NotFound" : "Gone";
    }
    const execution = executionId ?? live.meta.executionId;
    const stamped = persist ? await this.store.inbox.write(instanceId, execution, event) : event;
    live = this.live.get(instanceId);
    if (live === undefined || live.meta.executionId !== execution) return "Gone";
    live.pending.push(stamped);
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
        reject(new Error(`Still ${this.live.size} unfinished instance(s) after ${timeoutMs} ms`));
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
    return this.live.size === 0;
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

  private schedule(live: Live): void {
    if (live.busy || this.stopped) return;
    if (live.pending.length === 0 && live.meta.episodeCount > 0) return;
    live.busy = true;
    this.track(
      this.runEpisodes(live).finally(() => {
        live.busy = false;
        if (this.live.get(live.meta.instanceId) === live) this.schedule(live);
      }),
    );
  }

  private async runEpisodes(live: Live): Promise<void> {
    const fn = this.shim.functions.get(live.meta.name);
    if (fn === undefined) {
      // Failure policy: the instance stays as stored and resumes once a runtime with that orchestrator starts.
      this.log(
        "error",
        `no orchestrator named ${live.meta.name}; instance ${live.meta.instanceId} is left as stored`,
      );
      this.live.delete(live.meta.instanceId);
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
      this.live.delete(live.meta.instanceId);
      if (!this.stopped)
        setTimeout(() => void this.recover(live.meta.instanceId).catch(() => undefined), 1000);
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
    this.live.delete(meta.instanceId);
    openWork(live.history).forEach((e) => this.timers.disarm(timerKey(meta, e.EventId)));
    this.log("info", `orchestration ${meta.name} ${meta.instanceId} ${meta.runtimeStatus}`);
    if (meta.parentInstanceId !== undefined && meta.parentTaskId !== undefined) {
      await this.work
        .notifyParent(meta)
        .catch((e: unknown) => this.log("warn", `could not notify a parent: ${String(e)}`));
    }
    this.notifyIdle();
  }

  /** Reloads one instance from storage: history, open work (re-sent at least once) and inbox. */
  private async recover(instanceId: string): Promise<void> {
    const stored = await this.store.readMeta(instanceId);
    if (stored === undefined || isFinished(stored.meta.runtimeStatus) || this.live.has(instanceId)) return;
    const { meta, etag } = stored;
    const history = await this.store.readHistory(instanceId, meta.executionId, meta.episodeCount);
    const inbox = await this.store.inbox.read(instanceId);
    const stale = inbox.filter((i) => i.executionId !== meta.executionId).map((i) => i.key);
    this.track(this.store.inbox.delete(instanceId, stale));
    const pending = inbox.filter((i) => i.executionId === meta.executionId).map((i) => i.event);
    const live: Live = { meta, etag, history, pending, busy: false };
    this.live.set(instanceId, live);
    const answered = new Set(pending.map((e) => e.TaskScheduledId ?? e.TimerId));
    openWork(history)
      .filter((e) => !answered.has(e.EventId))
      .forEach((e) => this.work.dispatch(meta, e));
    this.schedule(live);
  }
}
