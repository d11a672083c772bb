import { randomUUID } from "node:crypto";
import type * as http from "node:http";

import type { InvocationContext } from "@azure/functions";

import type { CapturedFunction, FunctionsCoreShim } from "../functionsCore";
import type { LocalLog } from "../invocation";
import { attachDurableClient, clientBindingValue, clientInputsOf } from "./clientBinding";
import { EntityHost } from "./entityHost";
import { entityIdOf, EntityStore, schedulerId } from "./entityStore";
import { eventRaised, executionResumed, executionSuspended } from "./historyEvents";
import { type DurableOperations, handleDurableHttp, matchesFilter, type StatusFilter } from "./httpApi";
import { type InstanceMeta, InstanceStore, isFinished } from "./instanceStore";
import { OrchestrationHost, type Residents } from "./orchestrationHost";

export { attachDurableClient, clientBindingValue, DURABLE_PATH_PREFIX } from "./clientBinding";

/**
 * The local stand-in for the Durable Task extension: runs the app's df.app.orchestration / df.app.activity
 * registrations through durable-functions' own replay engine (replay schema V3), keeps history in Table Storage
 * (`<taskHub>Instances`), and serves the HTTP API the durable client calls under DURABLE_PATH_PREFIX.
 *
 * Supported: entities (df.app.entity; callEntity, signalEntity, readEntityState and the entity HTTP API; not
 * entity locks, which need replay schema V4), callActivity, callActivityWithRetry and callSubOrchestratorWithRetry (first interval, backoff, max
 * attempts, max interval), createTimer (+ cancel), Task.all / Task.any, waitForExternalEvent / raiseEvent,
 * callSubOrchestrator, callHttp (with 202 polling; no tokenSource), continueAsNew, terminate, suspend / resume,
 * purge, status (with historyEvents) and lists. Not supported (the orchestration fails with a message naming it
 * and the feature): entity critical sections (lock), callHttp with a tokenSource; retryTimeoutInMilliseconds is ignored. One process
 * owns a task hub at a time (the meta row's ETag detects a second writer; there is no lease).
 */
export interface DurableRuntimeOptions {
  shim: FunctionsCoreShim;
  storageConnection: string;
  taskHub: string;
  maxConcurrentActivities?: number;
  /**
   * At most this many unfinished instances are held in memory (history, pending events) at once; the others wait
   * in storage and load first in, first out as instances finish or wait only for timers and events (default 100).
   * Unlike host.json's maxConcurrentOrchestratorFunctions, which caps orchestrator code running at once in Azure,
   * this bounds the runtime's memory while a backlog of instances waits.
   */
  maxLoadedOrchestrations?: number;
  /** How long stop() waits for running activities and their results (default 30 s; DRAIN_TIMEOUT_SECONDS). */
  drainTimeoutMs?: number;
  /** host.json functionTimeout in ms for activities (none when undefined). */
  functionTimeoutMs?: number;
  publicBaseUrl: () => string;
  /** Never given inputs or outputs: they may hold personal data. */
  log?: (level: "info" | "warn" | "error", message: string) => void;
  /**
   * What orchestrators and activities write with context.log / trace / debug / info / warn / error, at every
   * level, formatted with util.format (default: `log`, error and critical as "error", warning as "warn", the
   * rest as "info", prefixed with the function's name).
   */
  functionLog?: LocalLog;
  clock?: { now(): Date };
}

const DEFAULT_DRAIN_MS = 30_000;

const functionLogVia =
  (log: NonNullable<DurableRuntimeOptions["log"]>): LocalLog =>
  (level, functionName, message) =>
    log(
      level === "error" || level === "critical" ? "error" : level === "warning" ? "warn" : "info",
      `${functionName}: ${message}`,
    );
export const DEFAULT_MAX_LOADED_ORCHESTRATIONS = 100;

export class DurableRuntime {
  private readonly store: InstanceStore;
  private readonly host: OrchestrationHost;
  private readonly entities: EntityHost;
  private readonly background = new Set<Promise<unknown>>();
  private readonly entityStore: EntityStore;
  private readonly ops: DurableOperations;

  constructor(private readonly options: DurableRuntimeOptions) {
    const log = options.log ?? (() => undefined);
    const clock = options.clock ?? { now: () => new Date() };
    this.store = new InstanceStore(options.storageConnection, options.taskHub);
    this.host = new OrchestrationHost(
      options.shim,
      this.store,
      clock,
      {
        maxConcurrentActivities: options.maxConcurrentActivities ?? 20,
        maxLoaded: options.maxLoadedOrchestrations ?? DEFAULT_MAX_LOADED_ORCHESTRATIONS,
        ...(options.functionTimeoutMs === undefined ? {} : { functionTimeoutMs: options.functionTimeoutMs }),
      },
      log,
      options.functionLog ?? functionLogVia(log),
      (fn) => clientInputsOf(fn, () => this.clientBindingValue()),
    );
    this.entityStore = new EntityStore(this.store.history);
    this.entities = new EntityHost({
      shim: options.shim,
      store: this.entityStore,
      clock,
      post: (id, execution, event, persist) => this.host.post(id, execution, event, persist),
      log,
      functionLog: options.functionLog ?? functionLogVia(log),
      ...(options.functionTimeoutMs === undefined ? {} : { timeoutMs: options.functionTimeoutMs }),
      track: (work) => {
        const tracked = work.catch((error: unknown) => log("warn", `entity work failed: ${String(error)}`));
        this.background.add(tracked);
        void tracked.finally(() => this.background.delete(tracked));
      },
    });
    this.host.deliverToEntity = (target, request) => this.entities.deliver(target, request);
    this.ops = this.operations(clock);
  }

  /** Creates the tables and queues every unfinished instance to resume from stored history. */
  async start(): Promise<void> {
    await this.store.ensureTables();
    await this.host.resumeAll();
    await this.entities.resumeAll();
  }

  /**
   * Starts nothing new (no activity, episode or entity batch), waits up to the drain timeout for the activities that
   * are running and for their results to be stored (so a restart does not run them again), then for writes in flight.
   */
  async stop(): Promise<void> {
    this.entities.stop();
    await this.host.stop(this.options.drainTimeoutMs ?? DEFAULT_DRAIN_MS);
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  clientBindingValue(): unknown {
    return clientBindingValue(this.options.publicBaseUrl(), this.options.taskHub);
  }

  /** Gives every durableClient binding of `fn` this runtime's client binding value. */
  attachDurableClient(fn: CapturedFunction, context: InvocationContext): void {
    attachDurableClient(fn, context, this.clientBindingValue());
  }

  handleHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    return handleDurableHttp(req, res, this.ops);
  }

  /** How many unfinished instances are in memory and how many wait in storage (for tests and diagnostics). */
  residents(): Residents {
    return this.host.residents();
  }

  whenIdle(timeoutMs = 60_000): Promise<void> {
    return this.host.whenIdle(timeoutMs);
  }

  private operations(clock: { now(): Date }): DurableOperations {
    const { store, host } = this;
    const listAll = async (filter: StatusFilter): Promise<InstanceMeta[]> => {
      const out: InstanceMeta[] = [];
      for await (const meta of store.listMetas()) if (matchesFilter(meta, filter)) out.push(meta);
      return out;
    };
    return {
      startNew: (name, instanceId, input) => host.startNew(name, instanceId, input),
      status: async (instanceId) => (await store.readMeta(instanceId))?.meta,
      list: listAll,
      raiseEvent: (instanceId, name, data) =>
        host.post(instanceId, undefined, eventRaised(clock.now(), name, data), true),
      terminate: (instanceId, reason) => host.terminate(instanceId, reason),
      suspend: (instanceId, reason) =>
        host.post(instanceId, undefined, executionSuspended(clock.now(), reason), true),
      resume: (instanceId, reason) =>
        host.post(instanceId, undefined, executionResumed(clock.now(), reason), true),
      history: (meta) =>
        meta.episodeCount === 0
          ? Promise.resolve([])
          : store.readHistory(meta.instanceId, meta.executionId, meta.episodeCount),
      purge: (instanceId) => store.purge(instanceId),
      purgeBy: async (filter) => {
        const doomed = (await listAll(filter)).filter((m) => isFinished(m.runtimeStatus));
        const counts = await Promise.all(doomed.map((m) => store.purge(m.instanceId)));
        return counts.reduce((a, b) => a + b, 0);
      },
      signalEntity: async (name, key, operation, input) => {
        if (this.entities.entityFunction(name) === undefined) return "UnknownEntity";
        await this.entities.signal({ name, key }, operation, input, randomUUID());
        return "Accepted";
      },
      readEntity: async (name, key) => {
        const record = await this.entityStore.read(schedulerId({ name, key }));
        return record.exists ? { name: name.toLowerCase(), key, ...record } : undefined;
      },
      listEntities: async (name) => {
        const out = [];
        for await (const { id, record } of this.entityStore.list(name)) {
          const entity = entityIdOf(id);
          if (record.exists && entity !== undefined) out.push({ ...entity, ...record });
        }
        return out;
      },
      managementPayload: (instanceId) => {
        const value = clientBindingValue(this.options.publicBaseUrl(), this.options.taskHub);
        return Object.fromEntries(
          Object.entries(value.managementUrls).map(([k, v]) => [
            k,
            v.split(value.managementUrls.id ?? "INSTANCEID").join(instanceId),
          ]),
        );
      },
    };
  }
}
