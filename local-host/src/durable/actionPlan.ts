import type { ActionObject } from "./bindingInfo";
import { derivedRequestId, type EntityRequest } from "./entityStore";
import { defaultChildId, type SequenceState } from "./followUps";
import {
  eventSent,
  type HistoryEvent,
  type RetryPolicy,
  subOrchestrationCreated,
  taskScheduled,
  timerCreated,
} from "./historyEvents";
import { HTTP_ACTIVITY } from "./httpActivity";

/** The allocation events for the actions an orchestrator emits (see followUps.ts for how ids are numbered). */
export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

/** What the orchestrator called, for actions the local runtime refuses. */
const UNSUPPORTED: Readonly<Record<number, string>> = {
  [ActionType.LockEntities]: "lock (durable entity critical sections)",
  [ActionType.ReleaseEntities]: "entity lock release (durable entity critical sections)",
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

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** One new action as its allocation event with id `id`, or the name of what the runtime does not support. */
/** The message a callEntity / signalEntity sends; its id is derived from the sender, so a replay yields it again. */
const entityRequest = (a: ActionObject, id: number, instanceId: string, executionId: string): string => {
  const isSignal = a.actionType === ActionType.SignalEntity;
  const request: EntityRequest = {
    id: derivedRequestId(instanceId, executionId, id),
    isSignal,
    operation: a.operation ?? "",
    input: a.input === undefined ? undefined : JSON.stringify(a.input),
    ...(isSignal ? {} : { parent: instanceId, parentExecution: executionId }),
  };
  return JSON.stringify(request);
};

const allocate = (
  a: ActionObject,
  id: number,
  now: Date,
  instanceId: string,
  executionId: string,
): HistoryEvent | string => {
  const name = a.functionName ?? "";
  switch (a.actionType) {
    case ActionType.CallActivity:
      return taskScheduled(now, id, name, jsonOf(a.input));
    case ActionType.CallActivityWithRetry:
      return taskScheduled(now, id, name, jsonOf(a.input), {
        policy: readPolicy(a.retryOptions),
        attempt: 1,
      });
    case ActionType.CreateTimer:
      return timerCreated(now, id, a.fireAt === undefined ? now : new Date(a.fireAt));
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry: {
      const child = a.instanceId ?? defaultChildId(instanceId, id);
      const input = a.input === undefined ? undefined : JSON.stringify(a.input);
      const retry =
        a.actionType === ActionType.CallSubOrchestratorWithRetry
          ? { policy: readPolicy(a.retryOptions), attempt: 1, fixedInstanceId: a.instanceId }
          : undefined;
      return subOrchestrationCreated(now, id, name, child, input, retry);
    }
    case ActionType.CallHttp: {
      const request = a.httpRequest;
      if (!isRecord(request)) return "callHttp without a request";
      if (request.tokenSource !== undefined && request.tokenSource !== null)
        return "callHttp with a tokenSource (managed identity tokens)";
      return taskScheduled(now, id, HTTP_ACTIVITY, JSON.stringify(request));
    }
    case ActionType.CallEntity:
    case ActionType.SignalEntity:
      return eventSent(now, id, a.instanceId ?? "", entityRequest(a, id, instanceId, executionId));
    default:
      return UNSUPPORTED[a.actionType] ?? `action type ${a.actionType}`;
  }
};

/** Allocation events for the actions the orchestrator emitted for the first time in this episode. */
export const allocateNewActions = (
  actions: readonly ActionObject[],
  seq: SequenceState,
  firstId: number,
  now: Date,
  instanceId: string,
  executionId: string,
): { events: HistoryEvent[]; unsupported?: string } => {
  const fresh = leafActions(actions).slice(seq.leafIds.length);
  const events: HistoryEvent[] = [];
  let id = firstId;
  for (const a of fresh) {
    const event = allocate(a, id, now, instanceId, executionId);
    if (typeof event === "string") return { events, unsupported: `${event} (action type ${a.actionType})` };
    events.push(event);
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
