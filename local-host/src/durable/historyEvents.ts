/**
 * The history events durable-functions 3.5.0 replays (lib/src/history). The library reads EventType, EventId,
 * Timestamp, IsPlayed and the per-type fields below; it ignores TaskScheduled, TimerCreated,
 * SubOrchestrationInstanceCreated and OrchestratorCompleted, so those carry the runtime's own bookkeeping
 * (what to run, retry state) in extra fields the library never looks at.
 */

/** durable-functions' HistoryEventType enum (values as the library numbers them). */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;
export type EventTypeNumber = (typeof EventType)[keyof typeof EventType];

/** The retry options CallActivityWithRetry carries (durable-functions RetryOptions). */
export interface RetryPolicy {
  readonly firstRetryIntervalInMilliseconds: number;
  readonly maxNumberOfAttempts: number;
  readonly backoffCoefficient?: number;
  readonly maxRetryIntervalInMilliseconds?: number;
}

/** On a TaskScheduled / SubOrchestrationInstanceCreated of a retried task: which attempt this is. */
export interface RetryAttempt {
  readonly policy: RetryPolicy;
  readonly attempt: number;
  /** A sub-orchestration retried under the instance id its caller gave (every attempt reuses it). */
  readonly fixedInstanceId?: string;
}

/** On a TimerCreated that waits between attempts: what to schedule when it fires. */
export interface RetryWait {
  readonly policy: RetryPolicy;
  readonly nextAttempt: number;
  readonly name: string;
  readonly input?: string;
  /** A sub-orchestration is retried (else an activity), under this fixed instance id when the caller gave one. */
  readonly subOrchestration?: { readonly instanceId?: string };
}

/** On a TimerCreated that waits before polling a 202's Location: the request to send and the id it takes. */
export interface HttpPollWait {
  readonly taskId: number;
  readonly request: string;
}

export interface FailureDetailsPayload {
  readonly ErrorType: string;
  readonly ErrorMessage: string;
  readonly StackTrace?: string;
  readonly IsNonRetriable?: boolean;
  readonly Properties?: Readonly<Record<string, unknown>>;
}

export interface HistoryEvent {
  readonly EventType: EventTypeNumber;
  readonly EventId: number;
  readonly Timestamp: string;
  IsPlayed?: boolean;
  readonly Name?: string;
  /** JSON text (activity / orchestration input, raised event data). */
  readonly Input?: string;
  /** JSON text (activity / sub-orchestration result). */
  readonly Result?: string;
  readonly Reason?: string;
  readonly Details?: string;
  readonly FailureDetails?: FailureDetailsPayload;
  readonly TaskScheduledId?: number;
  readonly TimerId?: number;
  readonly FireAt?: string;
  readonly InstanceId?: string;
  // Runtime bookkeeping, ignored by the library.
  readonly Retry?: RetryAttempt;
  readonly RetryWait?: RetryWait;
  readonly HttpPoll?: HttpPollWait;
  /** On the TaskScheduled of a poll request (the library never emitted an action for it). */
  readonly Poll?: boolean;
  /** The inbox row this event was folded from: a row already in history is never folded twice. */
  readonly InboxKey?: string;
}

const event = (type: EventTypeNumber, at: Date, fields: Partial<HistoryEvent> = {}): HistoryEvent => ({
  EventType: type,
  EventId: -1,
  Timestamp: at.toISOString(),
  ...fields,
});

export const orchestratorStarted = (at: Date): HistoryEvent => event(EventType.OrchestratorStarted, at);
export const orchestratorCompleted = (at: Date): HistoryEvent => event(EventType.OrchestratorCompleted, at);
export const executionStarted = (at: Date, name: string, input: string | undefined): HistoryEvent =>
  event(EventType.ExecutionStarted, at, { Name: name, Input: input });
export const executionCompleted = (at: Date, result: string | undefined): HistoryEvent =>
  event(EventType.ExecutionCompleted, at, { Result: result });
export const executionTerminated = (at: Date, reason: string): HistoryEvent =>
  event(EventType.ExecutionTerminated, at, { Reason: reason });

export const taskScheduled = (at: Date, id: number, name: string, input?: string, retry?: RetryAttempt) =>
  event(EventType.TaskScheduled, at, { EventId: id, Name: name, Input: input, Retry: retry });
export const taskCompleted = (at: Date, id: number, result: string): HistoryEvent =>
  event(EventType.TaskCompleted, at, { TaskScheduledId: id, Result: result });
export const taskFailed = (at: Date, id: number, failure: Failure): HistoryEvent =>
  event(EventType.TaskFailed, at, { TaskScheduledId: id, ...failure });
export const timerCreated = (
  at: Date,
  id: number,
  fireAt: Date,
  wait: { RetryWait?: RetryWait; HttpPoll?: HttpPollWait } = {},
): HistoryEvent => event(EventType.TimerCreated, at, { EventId: id, FireAt: fireAt.toISOString(), ...wait });
export const timerFired = (at: Date, id: number, fireAt: string): HistoryEvent =>
  event(EventType.TimerFired, at, { TimerId: id, FireAt: fireAt });
export const executionSuspended = (at: Date, reason: string): HistoryEvent =>
  event(EventType.ExecutionSuspended, at, { Reason: reason });
export const executionResumed = (at: Date, reason: string): HistoryEvent =>
  event(EventType.ExecutionResumed, at, { Reason: reason });
/** A message an orchestrator sent to an entity (callEntity, signalEntity): Input is the EntityRequest. */
export const eventSent = (at: Date, id: number, target: string, request: string): HistoryEvent =>
  event(EventType.EventSent, at, { EventId: id, InstanceId: target, Name: "op", Input: request });
export const eventRaised = (at: Date, name: string, input: string | undefined): HistoryEvent =>
  event(EventType.EventRaised, at, { Name: name, Input: input });
export const subOrchestrationCreated = (
  at: Date,
  id: number,
  name: string,
  instanceId: string,
  input?: string,
  retry?: RetryAttempt,
) =>
  event(EventType.SubOrchestrationInstanceCreated, at, {
    EventId: id,
    Name: name,
    InstanceId: instanceId,
    Input: input,
    Retry: retry,
  });
export const subOrchestrationCompleted = (at: Date, id: number, result: string): HistoryEvent =>
  event(EventType.SubOrchestrationInstanceCompleted, at, { TaskScheduledId: id, Result: result });
export const subOrchestrationFailed = (at: Date, id: number, failure: Failure): HistoryEvent =>
  event(EventType.SubOrchestrationInstanceFailed, at, { TaskScheduledId: id, ...failure });

/** How a failed task is described to the library: Reason + Details, or FailureDetails when structured. */
export interface Failure {
  readonly Reason: string;
  readonly Details: string;
  readonly FailureDetails?: FailureDetailsPayload;
}

/** Events that allocate a sequence id (an action the runtime carries out; an EventSent is carried out before its
    episode commits, see OrchestrationHost.commit). */
export const isAllocation = (e: HistoryEvent): boolean =>
  e.EventType === EventType.TaskScheduled ||
  e.EventType === EventType.TimerCreated ||
  e.EventType === EventType.SubOrchestrationInstanceCreated ||
  e.EventType === EventType.EventSent;

/** For a completion event, the sequence id it completes. */
export const completedId = (e: HistoryEvent): number | undefined => {
  if (e.EventType === EventType.TimerFired) return e.TimerId;
  const byTask: readonly EventTypeNumber[] = [
    EventType.TaskCompleted,
    EventType.TaskFailed,
    EventType.SubOrchestrationInstanceCompleted,
    EventType.SubOrchestrationInstanceFailed,
  ];
  return byTask.includes(e.EventType) ? e.TaskScheduledId : undefined;
};
