import type { CapturedFunction, FunctionsCoreShim } from "../functionsCore";
import type { LocalLog } from "../invocation";
import { invokeAsWorker, typedDataValue } from "../workerInvocation";
import {
  derivedRequestId,
  type EntityId,
  entityIdOf,
  type EntityRecord,
  type EntityRequest,
  type EntityStore,
  requestEvent,
  schedulerId,
} from "./entityStore";
import { eventRaised, type HistoryEvent } from "./historyEvents";
import type { Clock } from "./timers";
import type { PostResult } from "./workRouter";

/**
 * Runs durable entities (df.app.entity) one batch at a time per entity, in the order their requests arrived:
 * reads the entity's record and the requests in its inbox, invokes the entity function through the app's
 * programming model with durable-functions' DurableEntityBindingInfo (self, exists, state, batch) and reads back
 * its EntityState (exists, state, one result per operation, signals). Before the batch is committed, the caller
 * of each call gets its response (an EventRaised named by the request id, as durable-functions matches it) and
 * each signal the entity sent is delivered to its target's inbox. Then the new record and the deletion of the
 * processed requests are one transaction.
 * Failure policy: a crash before the commit runs the batch again from the same state; responses and signals are
 * sent again with the same ids, and requests already processed (their ids are kept in the record) run once.
 */
export interface EntityHostDeps {
  readonly shim: FunctionsCoreShim;
  readonly store: EntityStore;
  readonly clock: Clock;
  readonly post: (
    instanceId: string,
    executionId: string | undefined,
    event: HistoryEvent,
    persist: boolean,
  ) => Promise<PostResult>;
  readonly log: (level: "info" | "warn" | "error", message: string) => void;
  readonly functionLog: LocalLog;
  readonly timeoutMs?: number;
  readonly track: (work: Promise<unknown>) => void;
}

/** What durable-functions' Entity.handle returns (lib/src/entities/EntityState). */
interface EntityStateResult {
  readonly entityExists?: boolean;
  readonly entityState?: string;
  readonly results?: ReadonlyArray<{ readonly isError?: boolean; readonly result?: string } | undefined>;
  readonly signals?: ReadonlyArray<{
    readonly target?: { readonly name?: string; readonly key?: string };
    readonly name?: string;
    readonly input?: string;
    readonly requestId?: string;
  }>;
}

/** Requests per invocation (one transaction deletes up to 99 inbox rows with the record). */
const BATCH = 99;
const RETRY_MS = 1000;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class EntityHost {
  private readonly running = new Map<string, { again: boolean }>();
  private stopped = false;

  constructor(private readonly deps: EntityHostDeps) {}

  /** The entity function for an entity name (function names are case-insensitive, as in Azure). */
  entityFunction(name: string): CapturedFunction | undefined {
    const low = name.toLowerCase();
    for (const fn of this.deps.shim.functions.values())
      if (fn.trigger.type.toLowerCase() === "entitytrigger" && fn.name.toLowerCase() === low) return fn;
    return undefined;
  }

  /** Persists a request in the target entity's inbox, then has the entity process it. */
  async deliver(target: string, request: EntityRequest): Promise<void> {
    await this.deps.store.inbox.write(target, "", requestEvent(this.deps.clock.now(), request));
    this.wake(target);
  }

  /** A signal from a client (the HTTP API's POST entities/{name}/{key}?op=). */
  signal(entity: EntityId, operation: string, input: string | undefined, id: string): Promise<void> {
    return this.deliver(schedulerId(entity), { id, isSignal: true, operation, input });
  }

  /** Resumes every entity with requests left in its inbox. */
  async resumeAll(): Promise<void> {
    for (const id of await this.deps.store.withPendingRequests()) this.wake(id);
  }

  stop(): void {
    this.stopped = true;
  }

  /** Entities processing a batch now (for whenIdle). */
  get busy(): number {
    return this.running.size;
  }

  private wake(id: string): void {
    if (this.stopped) return;
    const run = this.running.get(id);
    if (run !== undefined) {
      run.again = true;
      return;
    }
    const state = { again: false };
    this.running.set(id, state);
    this.deps.track(this.loop(id, state));
  }

  private async loop(id: string, state: { again: boolean }): Promise<void> {
    try {
      do {
        state.again = false;
        while (!this.stopped && (await this.processBatch(id)));
      } while (state.again && !this.stopped);
    } catch (error) {
      // Failure policy: the requests stay in the inbox; the entity tries again shortly (and after a restart).
      this.deps.log("error", `entity ${id} failed to process its requests: ${messageOf(error)}`);
      setTimeout(() => this.wake(id), RETRY_MS).unref();
    } finally {
      this.running.delete(id);
    }
  }

  /** Processes up to BATCH requests; false when the inbox was empty. */
  private async processBatch(id: string): Promise<boolean> {
    const { store } = this.deps;
    const items = (await store.inbox.read(id)).slice(0, BATCH);
    if (items.length === 0) return false;
    const record = await store.read(id);
    const seen = new Set(record.recent);
    const requests: EntityRequest[] = [];
    for (const item of items) {
      const request = JSON.parse(item.event.Input ?? "{}") as EntityRequest;
      if (seen.has(request.id)) continue;
      seen.add(request.id);
      requests.push(request);
    }
    const entity = entityIdOf(id);
    const outcome =
      requests.length === 0 || entity === undefined
        ? undefined
        : await this.run(id, entity, record, requests);
    if (outcome !== undefined) {
      await Promise.all(requests.map((r, i) => this.respond(r, outcome.results?.[i])));
      const sent = new Map<string, number>();
      for (const signal of outcome.signals ?? []) {
        const target = signal.target;
        if (target?.name === undefined || target.key === undefined) continue;
        const from = signal.requestId ?? "";
        const index = sent.get(from) ?? 0;
        sent.set(from, index + 1);
        const request: EntityRequest = {
          id: derivedRequestId(id, from, index),
          isSignal: true,
          operation: signal.name ?? "",
          input: signal.input === "" ? undefined : signal.input,
        };
        await this.deliver(schedulerId({ name: target.name, key: target.key }), request);
      }
    }
    const next: EntityRecord = {
      exists: outcome?.entityExists ?? record.exists,
      state: outcome === undefined ? record.state : outcome.entityState,
      lastOperationTime: requests.length > 0 ? this.deps.clock.now().toISOString() : record.lastOperationTime,
      recent: [...record.recent, ...requests.map((r) => r.id)],
      stateVersion: record.stateVersion,
    };
    await store.commit(
      id,
      next,
      record,
      items.map((i) => i.key),
    );
    return true;
  }

  /** One invocation for a batch; an entity without a function, or an invocation that fails, fails every call. */
  private async run(
    id: string,
    entity: EntityId,
    record: EntityRecord,
    requests: readonly EntityRequest[],
  ): Promise<EntityStateResult> {
    const failAll = (message: string): EntityStateResult => ({
      entityExists: record.exists,
      entityState: record.state,
      results: requests.map(() => ({ isError: true, result: JSON.stringify(message) })),
      signals: [],
    });
    const fn = this.entityFunction(entity.name);
    if (fn === undefined) {
      const message = `No entity function named '${entity.name}' is registered`;
      this.deps.log("error", `${message}; ${requests.length} request(s) to ${id} fail`);
      return failAll(message);
    }
    const binding = {
      self: entity,
      exists: record.exists,
      state: record.state,
      batch: requests.map((r) => ({ id: r.id, name: r.operation, signal: r.isSignal, input: r.input })),
    };
    try {
      const answer = await invokeAsWorker(
        this.deps.shim,
        fn,
        {
          trigger: { string: JSON.stringify(binding) },
          ...(this.deps.timeoutMs === undefined ? {} : { timeoutMs: this.deps.timeoutMs }),
        },
        this.deps.functionLog,
      );
      const state = typedDataValue(answer.returnValue);
      if (typeof state !== "object" || state === null)
        return failAll("The entity function returned no state");
      return state;
    } catch (error) {
      this.deps.log("error", `entity function ${fn.name} failed for ${id}: ${messageOf(error)}`);
      return failAll(`Entity function '${fn.name}' failed: ${messageOf(error)}`);
    }
  }

  /** The response to a call, as durable-functions reads it: EventRaised named by the request id whose input is
      a ResponseMessage ({ result: JSON text, exceptionType when the operation failed }). */
  private async respond(
    request: EntityRequest,
    result: { readonly isError?: boolean; readonly result?: string } | undefined,
  ): Promise<void> {
    if (request.isSignal || request.parent === undefined) return;
    const message = {
      ...(result?.result === undefined ? {} : { result: result.result }),
      ...(result?.isError === true ? { exceptionType: "Error" } : {}),
    };
    const event = eventRaised(this.deps.clock.now(), request.id, JSON.stringify(message));
    // A caller that is gone (finished, purged) no longer waits: the response is dropped.
    await this.deps.post(request.parent, request.parentExecution, event, true);
  }
}
