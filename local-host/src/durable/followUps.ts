import {
  EventType,
  type HistoryEvent,
  isAllocation,
  type RetryPolicy,
  subOrchestrationCreated,
  taskScheduled,
  timerCreated,
} from "./historyEvents";
import { HTTP_ACTIVITY, pollAfter } from "./httpActivity";

/**
 * Sequence ids, the one thing the runtime and the library must agree on. durable-functions numbers tasks in the
 * order it tracks them: every leaf action the orchestrator yields takes the next id, and some tasks track more
 * children without emitting an action for them (follow-ups), which the runtime carries out itself:
 * - a RetryableTask (callActivityWithRetry, callSubOrchestratorWithRetry) takes one id when an attempt fails
 *   (its wait timer) and one when that timer fires with attempts left (the next attempt);
 * - a CallHttpWithPollingTask takes two ids when a 202 with Location completes (the wait timer, then the poll
 *   request, which the runtime schedules when the timer fires).
 * Within an episode every event that makes the library take ids is placed before the others, so the library
 * reaches all of them before any user code can run and yield something new.
 */
export interface SequenceState {
  readonly nextId: number;
  /** Ids of the leaf actions scheduled so far, in the order the library emitted them. */
  readonly leafIds: readonly number[];
  readonly allocations: ReadonlyMap<number, HistoryEvent>;
}

const isFollowUp = (e: HistoryEvent): boolean =>
  (e.Retry?.attempt ?? 1) > 1 || e.RetryWait !== undefined || e.HttpPoll !== undefined || e.Poll === true;

export const sequenceState = (history: readonly HistoryEvent[]): SequenceState => {
  const allocations = new Map<number, HistoryEvent>();
  const leafIds: number[] = [];
  let nextId = 0;
  for (const e of history) {
    if (!isAllocation(e)) continue;
    allocations.set(e.EventId, e);
    // A poll's wait timer reserves the id of the poll request that follows it.
    nextId = Math.max(nextId, e.EventId + 1, (e.HttpPoll?.taskId ?? -1) + 1);
    if (!isFollowUp(e)) leafIds.push(e.EventId);
  }
  return { nextId, leafIds, allocations };
};

/** Delay before the next attempt after attempt `attempt` failed (DTFx RetryOptions semantics). */
export const retryDelayMs = (policy: RetryPolicy, attempt: number): number => {
  const raw = policy.firstRetryIntervalInMilliseconds * Math.pow(policy.backoffCoefficient ?? 1, attempt - 1);
  return Math.min(raw, policy.maxRetryIntervalInMilliseconds ?? Number.POSITIVE_INFINITY);
};

/** The follow-up events one new event implies: how many new ids the library takes for it, and the events. */
interface FollowUp {
  readonly newIds: number;
  readonly make: (firstId: number, now: Date) => HistoryEvent[];
}

/**
 * Failure policy: a failed attempt always gets a wait timer, also after the last attempt (zero delay), because
 * the library only surfaces the final error when that timer fires.
 */
const afterFailure = (source: HistoryEvent): FollowUp | undefined => {
  if (source.Retry === undefined) return undefined;
  const { policy, attempt } = source.Retry;
  const delay = attempt < policy.maxNumberOfAttempts ? retryDelayMs(policy, attempt) : 0;
  const subOrchestration =
    source.EventType === EventType.SubOrchestrationInstanceCreated
      ? { instanceId: source.Retry.fixedInstanceId }
      : undefined;
  const wait = {
    policy,
    nextAttempt: attempt + 1,
    name: source.Name ?? "",
    input: source.Input,
    subOrchestration,
  };
  return {
    newIds: 1,
    make: (id, now) => [timerCreated(now, id, new Date(now.getTime() + delay), { RetryWait: wait })],
  };
};

const afterTimer = (created: HistoryEvent, parentId: string): FollowUp | undefined => {
  if (created.HttpPoll !== undefined) {
    const { taskId, request } = created.HttpPoll;
    return {
      newIds: 0,
      make: (_id, now) => [{ ...taskScheduled(now, taskId, HTTP_ACTIVITY, request), Poll: true }],
    };
  }
  const wait = created.RetryWait;
  if (wait === undefined || wait.nextAttempt > wait.policy.maxNumberOfAttempts) return undefined;
  const retry = { policy: wait.policy, attempt: wait.nextAttempt };
  const child = wait.subOrchestration;
  if (child === undefined)
    return { newIds: 1, make: (id, now) => [taskScheduled(now, id, wait.name, wait.input, retry)] };
  return {
    newIds: 1,
    make: (id, now) => [
      subOrchestrationCreated(
        now,
        id,
        wait.name,
        child.instanceId ?? defaultChildId(parentId, id),
        wait.input,
        {
          ...retry,
          fixedInstanceId: child.instanceId,
        },
      ),
    ],
  };
};

const afterHttpResult = (scheduled: HistoryEvent, result: string | undefined): FollowUp | undefined => {
  if (scheduled.Name !== HTTP_ACTIVITY) return undefined;
  const poll = pollAfter(scheduled.Input, result);
  if (poll === undefined) return undefined;
  return {
    newIds: 2,
    make: (id, now) => [
      timerCreated(now, id, new Date(now.getTime() + poll.delayMs), {
        HttpPoll: { taskId: id + 1, request: poll.request },
      }),
    ],
  };
};

/** A sub-orchestration's instance id when the caller gives none (the extension's `<parent>:<id>` form). */
export const defaultChildId = (parentId: string, id: number): string =>
  `${parentId}:${id.toString(16).padStart(4, "0")}`;

const followUpOf = (
  e: HistoryEvent,
  allocations: ReadonlyMap<number, HistoryEvent>,
  parentId: string,
): FollowUp | undefined => {
  const source = allocations.get(e.TaskScheduledId ?? e.TimerId ?? -1);
  if (source === undefined) return undefined;
  if (e.EventType === EventType.TaskFailed || e.EventType === EventType.SubOrchestrationInstanceFailed)
    return afterFailure(source);
  if (e.EventType === EventType.TimerFired) return afterTimer(source, parentId);
  if (e.EventType === EventType.TaskCompleted) return afterHttpResult(source, e.Result);
  return undefined;
};

/** Orders an episode's new events (those that make the library take ids first) and makes their follow-ups. */
export const planFollowUps = (
  batch: readonly HistoryEvent[],
  seq: SequenceState,
  now: Date,
  instanceId: string,
): { ordered: HistoryEvent[]; followUps: HistoryEvent[]; nextId: number } => {
  const first: HistoryEvent[] = [];
  const rest: HistoryEvent[] = [];
  const followUps: HistoryEvent[] = [];
  let nextId = seq.nextId;
  for (const e of batch) {
    const followUp = followUpOf(e, seq.allocations, instanceId);
    if (followUp === undefined || followUp.newIds === 0) rest.push(e);
    else first.push(e);
    if (followUp === undefined) continue;
    followUps.push(...followUp.make(nextId, now));
    nextId += followUp.newIds;
  }
  return { ordered: [...first, ...rest], followUps, nextId };
};
