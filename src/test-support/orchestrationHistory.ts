import { InvocationContext } from "@azure/functions";
import { type OrchestrationHandler } from "durable-functions";
import * as E from "fp-ts/Either";
import * as t from "io-ts";

/**
 * Fixture histories for orchestrator unit tests, replayed by durable-functions' own replay engine the way its
 * own specs do it (test/integration/orchestrator-spec.ts in Azure/azure-functions-durable-js): a history of
 * durable-functions' HistoryEvent classes goes into the orchestration trigger payload the Durable extension
 * sends, the handler `df.app.orchestration` registers (createOrchestrator around ours) replays it, and what
 * comes back is the OrchestratorState the extension would act on. No storage, no host, no mock of context.df.
 *
 * Sequence ids are the contract between history and engine: every task the orchestrator yields takes the next
 * id, in the order it yields them (the children of a Task.all in order), and a callActivityWithRetry takes one
 * more id each time an attempt fails (its retry timer) and each time that timer fires with attempts left (the
 * next attempt). The builder hands out ids in the order its methods are called, so write events in the order
 * the extension would.
 */

// durable-functions ships no types for its internals; these are the shapes lib/src uses (3.5.0).
interface HistoryEvent {
  readonly EventType: number;
  readonly EventId: number;
  readonly Timestamp: Date;
  readonly IsPlayed: boolean;
}
interface EventOptions {
  readonly eventId: number;
  readonly timestamp: Date;
  readonly isPlayed: boolean;
}
type EventClass<O = object> = new (options: EventOptions & O) => HistoryEvent;
type OrchestratorTrigger = (payload: unknown, context: InvocationContext) => Promise<unknown>;

const internal = <A>(path: string): A =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(`durable-functions/lib/src/${path}`) as A;

const { OrchestratorStartedEvent } = internal<{ OrchestratorStartedEvent: EventClass }>(
  "history/OrchestratorStartedEvent",
);
const { OrchestratorCompletedEvent } = internal<{ OrchestratorCompletedEvent: EventClass }>(
  "history/OrchestratorCompletedEvent",
);
const { ExecutionStartedEvent } = internal<{
  ExecutionStartedEvent: EventClass<{ name: string; input?: string }>;
}>("history/ExecutionStartedEvent");
const { TaskScheduledEvent } = internal<{ TaskScheduledEvent: EventClass<{ name: string; input?: string }> }>(
  "history/TaskScheduledEvent",
);
const { TaskCompletedEvent } = internal<{
  TaskCompletedEvent: EventClass<{ taskScheduledId: number; result: string }>;
}>("history/TaskCompletedEvent");
const { TaskFailedEvent } = internal<{
  TaskFailedEvent: EventClass<{ taskScheduledId: number; reason: string; details: string }>;
}>("history/TaskFailedEvent");
const { TimerCreatedEvent } = internal<{ TimerCreatedEvent: EventClass<{ fireAt: Date }> }>(
  "history/TimerCreatedEvent",
);
const { TimerFiredEvent } = internal<{ TimerFiredEvent: EventClass<{ timerId: number; fireAt: Date }> }>(
  "history/TimerFiredEvent",
);
/** What `df.app.orchestration(name, handler)` registers with the Functions host as the trigger's handler. */
const { createOrchestrator } = internal<{
  createOrchestrator: (handler: OrchestrationHandler) => OrchestratorTrigger;
}>("util/testingUtils");

/** The replay schema the Durable extension (and the local host) announce; actions keep their Task.all nesting. */
const REPLAY_SCHEMA_V3 = 2;

/** RetryOptions as callActivityWithRetry takes them (df.RetryOptions fits). */
export interface ActivityRetry {
  readonly firstRetryIntervalInMilliseconds: number;
  readonly maxNumberOfAttempts: number;
  readonly backoffCoefficient?: number;
  readonly maxRetryIntervalInMilliseconds?: number;
}

/** The wait the extension puts between attempt `attempt` failing and the next one (DTFx RetryOptions). */
export const retryDelayMs = (retry: ActivityRetry, attempt: number): number =>
  Math.min(
    retry.firstRetryIntervalInMilliseconds * Math.pow(retry.backoffCoefficient ?? 1, attempt - 1),
    retry.maxRetryIntervalInMilliseconds ?? Number.POSITIVE_INFINITY,
  );

/** Something the orchestrator yielded, as the history records it. */
type Scheduled =
  | { readonly kind: "activity"; readonly name: string; readonly input: unknown }
  | { readonly kind: "timer"; readonly fireAt: Date };

export interface HistoryStart {
  readonly instanceId: string;
  readonly input: unknown;
  readonly startedAt: Date;
  readonly name?: string;
}

export class OrchestrationHistory {
  readonly instanceId: string;
  readonly input: unknown;
  /** Events, built when the payload is: IsPlayed depends on which episode is the last one. */
  private readonly events: Array<(isPlayed: boolean) => HistoryEvent> = [];
  /** Index in `events` of the last episode's OrchestratorStarted. */
  private lastEpisode = 0;
  private nextId = 0;
  private readonly timers = new Map<number, Date>();
  private readonly activities = new Map<number, { name: string; input: unknown }>();
  /** What the orchestrator yielded so far, in order (retry follow-ups are the extension's, not in here). */
  private readonly yielded: Scheduled[] = [];
  private current: Date;

  constructor({ instanceId, input, startedAt, name = "orchestrator" }: HistoryStart) {
    this.instanceId = instanceId;
    this.input = input;
    this.current = startedAt;
    this.push((o) => new OrchestratorStartedEvent(o));
    this.push((o) => new ExecutionStartedEvent({ ...o, name, input: JSON.stringify(input) }));
  }

  /** The time of the running episode: what context.df.currentUtcDateTime is in it. */
  get now(): Date {
    return this.current;
  }

  /** How many tasks the history says the orchestrator yielded (activities once each, however retried; timers). */
  get yieldedCount(): number {
    return this.yielded.length;
  }

  /** The scheduled items, for the replay's determinism check. */
  scheduled(): ReadonlyArray<Scheduled> {
    return this.yielded;
  }

  /** Ends the running episode and starts the next one at `at` (OrchestratorCompleted, OrchestratorStarted). */
  episodeAt(at: Date): this {
    if (at.getTime() < this.current.getTime()) throw new RangeError("episodes go forward in time");
    this.push((o) => new OrchestratorCompletedEvent(o));
    this.current = at;
    this.lastEpisode = this.events.length;
    this.push((o) => new OrchestratorStartedEvent(o));
    return this;
  }

  episodeAfter(ms: number): this {
    return this.episodeAt(new Date(this.current.getTime() + ms));
  }

  /** The orchestrator called an activity (with or without retry): TaskScheduled with the next id. */
  activityScheduled(name: string, input: unknown): number {
    const id = this.scheduleTask(name, input);
    this.yielded.push({ kind: "activity", name, input });
    return id;
  }

  activityCompleted(id: number, result: unknown): this {
    this.activity(id);
    this.push((o) => new TaskCompletedEvent({ ...o, taskScheduledId: id, result: JSON.stringify(result) }));
    return this;
  }

  /** One failed attempt of an activity (plain TaskFailed; for callActivityWithRetry see activityFailsForGood). */
  activityFailed(id: number, reason: string): this {
    const { name } = this.activity(id);
    this.push(
      (o) =>
        new TaskFailedEvent({
          ...o,
          taskScheduledId: id,
          reason: `Activity function '${name}' failed: ${reason}`,
          details: `Error: ${reason}\n    at activity`,
        }),
    );
    return this;
  }

  /** The orchestrator created a timer: TimerCreated with the next id. */
  timerCreated(fireAt: Date): number {
    const id = this.createTimer(fireAt);
    this.yielded.push({ kind: "timer", fireAt });
    return id;
  }

  /** Starts the episode in which timer `id` fires (at its fire time, or `at` if later) with its TimerFired. */
  timerFires(id: number, at?: Date): this {
    const fireAt = this.timers.get(id);
    if (fireAt === undefined) throw new Error(`no timer ${id} in this history`);
    this.episodeAt(at ?? fireAt);
    this.push((o) => new TimerFiredEvent({ ...o, timerId: id, fireAt }));
    return this;
  }

  /**
   * The callActivityWithRetry of task `id` fails on every attempt: each failure here in the running episode or
   * a later one, each followed by the extension's retry timer (after the last attempt too, with no wait: the
   * engine surfaces the error when that timer fires) and, while attempts are left, the next TaskScheduled.
   * Leaves the episode where the last timer fired running: the orchestrator sees the error in it.
   */
  activityFailsForGood(id: number, retry: ActivityRetry, reason: string, attemptMs = 100): this {
    const { name, input } = this.activity(id);
    let attemptId = id;
    for (let attempt = 1; attempt <= retry.maxNumberOfAttempts; attempt++) {
      if (attempt > 1) this.episodeAfter(attemptMs);
      this.activityFailed(attemptId, reason);
      const wait = attempt < retry.maxNumberOfAttempts ? retryDelayMs(retry, attempt) : 0;
      const timer = this.createTimer(new Date(this.current.getTime() + wait));
      this.timerFires(timer);
      if (attempt < retry.maxNumberOfAttempts) attemptId = this.scheduleTask(name, input);
    }
    return this;
  }

  /** The orchestration trigger's payload, as the Durable extension sends it (JSON: Dates become strings). */
  payload(): unknown {
    const history = this.events.map((make, i) => make(i < this.lastEpisode));
    return JSON.parse(
      JSON.stringify({
        history,
        input: this.input,
        instanceId: this.instanceId,
        isReplaying: this.lastEpisode > 0,
        parentInstanceId: "",
        upperSchemaVersion: REPLAY_SCHEMA_V3,
        maximumShortTimerDuration: "6.00:00:00",
        longRunningTimerIntervalDuration: "3.00:00:00",
        defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
      }),
    );
  }

  private push(make: (options: EventOptions) => HistoryEvent, eventId = -1): void {
    const timestamp = this.current;
    this.events.push((isPlayed) => make({ eventId, timestamp, isPlayed }));
  }

  private scheduleTask(name: string, input: unknown): number {
    const id = this.nextId++;
    this.activities.set(id, { name, input });
    this.push((o) => new TaskScheduledEvent({ ...o, name, input: JSON.stringify(input) }), id);
    return id;
  }

  private createTimer(fireAt: Date): number {
    const id = this.nextId++;
    this.timers.set(id, fireAt);
    this.push((o) => new TimerCreatedEvent({ ...o, fireAt }), id);
    return id;
  }

  private activity(id: number): { name: string; input: unknown } {
    const task = this.activities.get(id);
    if (task === undefined) throw new Error(`no task ${id} scheduled in this history`);
    return task;
  }
}

export const orchestrationHistory = (start: HistoryStart): OrchestrationHistory =>
  new OrchestrationHistory(start);

// What comes back: the OrchestratorState, as the extension reads it (JSON), decoded with io-ts.

const RetryOptionsWire = t.intersection([
  t.type({ firstRetryIntervalInMilliseconds: t.number, maxNumberOfAttempts: t.number }),
  t.partial({ backoffCoefficient: t.number, maxRetryIntervalInMilliseconds: t.number }),
]);

type ActionWire =
  | { readonly actionType: 0; readonly functionName: string; readonly input?: unknown }
  | {
      readonly actionType: 1;
      readonly functionName: string;
      readonly input?: unknown;
      readonly retryOptions: t.TypeOf<typeof RetryOptionsWire>;
    }
  | { readonly actionType: 5; readonly fireAt: string; readonly isCanceled: boolean }
  | { readonly actionType: 11 | 12; readonly compoundActions: ReadonlyArray<ActionWire> };

const ActionWire: t.Type<ActionWire> = t.recursion("ActionWire", () =>
  t.union([
    t.intersection([
      t.type({ actionType: t.literal(0), functionName: t.string }),
      t.partial({ input: t.unknown }),
    ]),
    t.intersection([
      t.type({ actionType: t.literal(1), functionName: t.string, retryOptions: RetryOptionsWire }),
      t.partial({ input: t.unknown }),
    ]),
    t.type({ actionType: t.literal(5), fireAt: t.string, isCanceled: t.boolean }),
    t.type({
      actionType: t.union([t.literal(11), t.literal(12)]),
      compoundActions: t.readonlyArray(ActionWire),
    }),
  ]),
);

const OrchestratorStateWire = t.intersection([
  t.type({ isDone: t.boolean, actions: t.array(t.array(ActionWire)), schemaVersion: t.number }),
  t.partial({ output: t.unknown, error: t.string, customStatus: t.unknown }),
]);

/** One task the orchestrator yielded, flattened out of Task.all/any. */
export type Decision =
  | {
      readonly kind: "activity";
      readonly name: string;
      readonly input: unknown;
      readonly retry?: t.TypeOf<typeof RetryOptionsWire>;
    }
  | { readonly kind: "timer"; readonly fireAt: string };

export interface Replayed {
  readonly isDone: boolean;
  readonly output: unknown;
  /** Set when the orchestration failed (the handler threw the engine's OrchestrationFailureError). */
  readonly error?: string;
  readonly customStatus?: unknown;
  /** Everything the orchestrator yielded from its start, in order. */
  readonly actions: ReadonlyArray<Decision>;
  /** What it yielded in the last episode, beyond what the history holds: the decisions under test. */
  readonly decisions: ReadonlyArray<Decision>;
}

const leaves = (action: ActionWire): Decision[] => {
  switch (action.actionType) {
    case 0:
      return [{ kind: "activity", name: action.functionName, input: action.input }];
    case 1:
      return [
        { kind: "activity", name: action.functionName, input: action.input, retry: action.retryOptions },
      ];
    case 5:
      return [{ kind: "timer", fireAt: action.fireAt }];
    case 11:
    case 12:
      return action.compoundActions.flatMap(leaves);
  }
};

const OUT_OF_PROC_DATA = "$OutOfProcData$:";

const decodeState = (raw: unknown): t.TypeOf<typeof OrchestratorStateWire> => {
  const decoded = OrchestratorStateWire.decode(raw);
  if (E.isLeft(decoded))
    throw new Error(`the orchestrator returned a state this support does not read: ${JSON.stringify(raw)}`);
  return decoded.right;
};

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Replays `history` through `handler` as the Functions host would invoke the registered orchestration, and
 * checks the replay is deterministic: what the orchestrator yields again must match what the history says it
 * yielded (names, inputs, timer fire times), as the Durable extension checks.
 */
export const replay = async (
  handler: OrchestrationHandler,
  history: OrchestrationHistory,
): Promise<Replayed> => {
  const context = new InvocationContext({ functionName: "orchestrator", logHandler: () => undefined });
  let raw: unknown;
  let failed = false;
  try {
    raw = JSON.parse(JSON.stringify(await createOrchestrator(handler)(history.payload(), context)));
  } catch (thrown) {
    // An OrchestrationFailureError: the state rides in its message, after a label, with the error in it.
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    const at = message.indexOf(OUT_OF_PROC_DATA);
    if (at < 0) throw thrown;
    raw = JSON.parse(message.slice(at + OUT_OF_PROC_DATA.length));
    failed = true;
  }
  const state = decodeState(raw);
  const error = failed ? (state.error ?? "orchestration failed") : undefined;
  const actions = state.actions.flat().flatMap(leaves);
  history.scheduled().forEach((expected, i) => {
    const actual = actions[i];
    const matches =
      actual !== undefined &&
      (expected.kind === "activity"
        ? actual.kind === "activity" &&
          actual.name === expected.name &&
          sameJson(actual.input, expected.input)
        : actual.kind === "timer" && actual.fireAt === expected.fireAt.toISOString());
    if (!matches)
      throw new Error(
        `non-deterministic replay: the history's task ${i} is ${JSON.stringify(expected)}, ` +
          `the orchestrator yielded ${JSON.stringify(actual)}`,
      );
  });
  return {
    isDone: state.isDone,
    output: state.output,
    ...(error === undefined ? {} : { error }),
    ...(state.customStatus === undefined ? {} : { customStatus: state.customStatus }),
    actions,
    decisions: actions.slice(history.yieldedCount),
  };
};
