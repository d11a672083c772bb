import type { ActionObject } from "./bindingInfo";
import {
  EventType,
  type HistoryEvent,
  isAllocation,
  type RetryPolicy,
  subOrchestrationCreated,
  taskScheduled,
  timerCreated,
} from "./historyEvents";

/**
 * Sequence ids, the one thing the runtime and the library must agree on. durable-functions numbers tasks in the
 * order it tracks them: every leaf action the orchestrator yields takes the next id, and a RetryableTask takes
 * one more id each time an attempt fails (its wait timer) and each time that timer fires with attempts left
 * (the next attempt). The runtime mirrors that: new leaf actions take ids in action-list order, and within an
 * episode every retry follow-up event is placed before the others, so the library reaches all of them before
 * any user code can run and yield something new.
 */

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  WhenAny: 11,
  WhenAll: 12,
} as const;

export interface SequenceState {
  readonly nextId: number;
  /** Ids of the leaf actions scheduled so far, in the order the library emitted them. */
  readonly leafIds: readonly number[];
  readonly allocations: ReadonlyMap<number, HistoryEvent>;
}

const isRetryFollowUp = (e: HistoryEvent): boolean =>
  (e.EventType === EventType.TaskScheduled && (e.Retry?.attempt ?? 1) > 1) || e.RetryWait !== undefined;

export const sequenceState = (history: readonly HistoryEvent[]): SequenceState => {
  const allocations = new Map<number, HistoryEvent>();
  const leafIds: number[] = [];
  let nextId = 0;
  for (const e of history) {
    if (!isAllocation(e)) continue;
    allocations.set(e.EventId, e);
    nextId = Math.max(nextId, e.EventId + 1);
    if (!isRetryFollowUp(e)) leafIds.push(e.EventId);
  }
  return { nextId, leafIds, allocations };
};

/** Delay before the next attempt after attempt `attempt` failed (DTFx RetryOptions semantics). */
export const retryDelayMs = (policy: RetryPolicy, attempt: number): number => {
  const raw = policy.firstRetryIntervalInMilliseconds * Math.pow(policy.backoffCoefficient ?? 1, attempt - 1);
  return Math.min(raw, policy.maxRetryIntervalInMilliseconds ?? Number.POSITIVE_INFINITY);
};

/** A completion that makes the library track a retry follow-up task (and so consume a sequence id). */
const followUpOf = (
  e: HistoryEvent,
  allocations: ReadonlyMap<number, HistoryEvent>,
): HistoryEvent | undefined => {
  if (e.EventType === EventType.TaskFailed && e.TaskScheduledId !== undefined) {
    const scheduled = allocations.get(e.TaskScheduledId);
    return scheduled?.Retry !== undefined ? scheduled : undefined;
  }
  if (e.EventType === EventType.TimerFired && e.TimerId !== undefined) {
    const created = allocations.get(e.TimerId);
    const wait = created?.RetryWait;
    return wait !== undefined && wait.nextAttempt <= wait.policy.maxNumberOfAttempts ? created : undefined;
  }
  return undefined;
};

/**
 * Orders an episode's new events (retry follow-ups first) and allocates the follow-up ids they imply.
 * Failure policy: a failed attempt always gets a wait timer, also after the last attempt (zero delay), because
 * the library only surfaces the final error when that timer fires.
 */
export const planFollowUps = (
  batch: readonly HistoryEvent[],
  seq: SequenceState,
  now: Date,
): { ordered: HistoryEvent[]; followUps: HistoryEvent[]; nextId: number } => {
  const first: HistoryEvent[] = [];
  const rest: HistoryEvent[] = [];
  const followUps: HistoryEvent[] = [];
  let nextId = seq.nextId;
  for (const e of batch) {
    const source = followUpOf(e, seq.allocations);
    if (source === undefined) {
      rest.push(e);
      continue;
    }
    first.push(e);
    const id = nextId++;
    if (source.Retry !== undefined) {
      const { policy, attempt } = source.Retry;
      const delay = attempt < policy.maxNumberOfAttempts ? retryDelayMs(policy, attempt) : 0;
      const wait = { policy, nextAttempt: attempt + 1, name: source.Name ?? "", input: source.Input };
      followUps.push(timerCreated(now, id, new Date(now.getTime() + delay), wait));
    } else if (source.RetryWait !== undefined) {
      const { policy, nextAttempt, name, input } = source.RetryWait;
      followUps.push(taskScheduled(now, id, name, input, { policy, attempt: nextAttempt }));
    }
  }
  return { ordered: [...first, ...rest], followUps, nextId };
};

/** The leaf actions in the order the library assigned them ids; a task reused inside a later Task.all/any
    appears once (the library keeps its id). */
export const leafActions = (actions: readonly ActionObject[]): ActionObject[] => {
  const seen = new Set<ActionObject>();
  const out: ActionObject[] = [];
  const visit = (a: ActionObject): void => {
    if (a.actionType === ActionType.WhenAll || a.actionType === ActionType.WhenAny) {
      (a.compoundActions ?? []).forEach(visit);
      return;
    }
    if (a.actionType === ActionType.WaitForExternalEvent || a.actionType === ActionType.ContinueAsNew) return;
    if (seen.has(a)) return;
    seen.add(a);
    out.push(a);
  };
  actions.forEach(visit);
  return out;
};

const jsonOf = (input: unknown): string | undefined =>
  input === undefined ? undefined : typeof input === "string" ? input : JSON.stringify(input);

const readPolicy = (options: unknown): RetryPolicy => {
  const o = (typeof options === "object" && options !== null ? options : {}) as Record<string, unknown>;
  const num = (key: string): number | undefined => (typeof o[key] === "number" ? o[key] : undefined);
  return {
    firstRetryIntervalInMilliseconds: num("firstRetryIntervalInMilliseconds") ?? 1000,
    maxNumberOfAttempts: num("maxNumberOfAttempts") ?? 1,
    backoffCoefficient: num("backoffCoefficient"),
    maxRetryIntervalInMilliseconds: num("maxRetryIntervalInMilliseconds"),
  };
};

/** Allocation events for the actions the orchestrator emitted for the first time in this episode. */
export const allocateNewActions = (
  actions: readonly ActionObject[],
  seq: SequenceState,
  firstId: number,
  now: Date,
  instanceId: string,
): { events: HistoryEvent[]; unsupported?: string } => {
  const fresh = leafActions(actions).slice(seq.leafIds.length);
  const events: HistoryEvent[] = [];
  let id = firstId;
  for (const a of fresh) {
    const name = a.functionName ?? "";
    switch (a.actionType) {
      case ActionType.CallActivity:
        events.push(taskScheduled(now, id, name, jsonOf(a.input)));
        break;
      case ActionType.CallActivityWithRetry:
        events.push(
          taskScheduled(now, id, name, jsonOf(a.input), { policy: readPolicy(a.retryOptions), attempt: 1 }),
        );
        break;
      case ActionType.CreateTimer:
        events.push(timerCreated(now, id, a.fireAt instanceof Date ? a.fireAt : now));
        break;
      case ActionType.CallSubOrchestrator: {
        const child = a.instanceId ?? `${instanceId}:${id.toString(16).padStart(4, "0")}`;
        const input = a.input === undefined ? undefined : JSON.stringify(a.input);
        events.push(subOrchestrationCreated(now, id, name, child, input));
        break;
      }
      default:
        return { events, unsupported: `action type ${a.actionType}` };
    }
    id++;
  }
  return { events };
};

/** The input of a ContinueAsNew action, if the orchestrator called continueAsNew. */
export const continueAsNewInput = (
  actions: readonly ActionObject[],
): { input: string | undefined } | undefined => {
  const action = actions.find((a) => a.actionType === ActionType.ContinueAsNew);
  return action === undefined ? undefined : { input: jsonOf(action.input) };
};
