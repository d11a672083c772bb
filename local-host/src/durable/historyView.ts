import { parseJson } from "./bindingInfo";
import { EventType, type HistoryEvent } from "./historyEvents";
import type { RuntimeStatus } from "./instanceStore";

/**
 * `historyEvents` of a status query with showHistory=true, shaped as the extension's DurableClient shapes them:
 * EventType as its name; OrchestratorStarted/Completed left out; a TaskScheduled or SubOrchestrationInstanceCreated
 * that has its completion is merged into it (FunctionName, ScheduledTime, and its Input when showInput);
 * ExecutionStarted's Name becomes FunctionName; ExecutionCompleted gets OrchestrationStatus; results (Result of
 * TaskCompleted, SubOrchestrationInstanceCompleted, ExecutionCompleted) only with showHistoryOutput, as JSON;
 * EventId, IsPlayed, TaskScheduledId and TimerId are dropped, and so is the runtime's own bookkeeping.
 */
const EVENT_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(EventType).map(([name, n]) => [n, name]),
);

export interface HistoryViewOptions {
  readonly showHistoryOutput: boolean;
  readonly showInput: boolean;
  /** The instance's status, for ExecutionCompleted's OrchestrationStatus. */
  readonly runtimeStatus: RuntimeStatus;
}

type Json = Record<string, unknown>;

const withoutUndefined = (o: Json): Json =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const completionPrefix = (type: number): number | undefined =>
  type === EventType.TaskCompleted || type === EventType.TaskFailed
    ? EventType.TaskScheduled
    : type === EventType.SubOrchestrationInstanceCompleted ||
        type === EventType.SubOrchestrationInstanceFailed
      ? EventType.SubOrchestrationInstanceCreated
      : undefined;

export const historyView = (history: readonly HistoryEvent[], options: HistoryViewOptions): Json[] => {
  const scheduled = new Map<string, HistoryEvent>();
  for (const e of history)
    if (e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated)
      scheduled.set(`${e.EventType}_${e.EventId}`, e);
  const merged = new Set<HistoryEvent>();
  const out: Array<{ source: HistoryEvent; view: Json }> = [];
  for (const e of history) {
    if (e.EventType === EventType.OrchestratorStarted || e.EventType === EventType.OrchestratorCompleted)
      continue;
    const view: Json = {
      EventType: EVENT_NAMES[e.EventType] ?? String(e.EventType),
      Timestamp: e.Timestamp,
      Name: e.Name,
      Input: e.Input,
      InstanceId: e.InstanceId,
      FireAt: e.FireAt,
      Reason: e.Reason,
      Details: e.Details,
      FailureDetails: e.FailureDetails,
    };
    const prefix = completionPrefix(e.EventType);
    const origin = prefix === undefined ? undefined : scheduled.get(`${prefix}_${e.TaskScheduledId ?? -1}`);
    if (origin !== undefined) {
      merged.add(origin);
      Object.assign(view, {
        ScheduledTime: origin.Timestamp,
        FunctionName: origin.Name,
        Input: origin.Input,
      });
    }
    const hasOutput =
      e.EventType === EventType.TaskCompleted ||
      e.EventType === EventType.SubOrchestrationInstanceCompleted ||
      e.EventType === EventType.ExecutionCompleted;
    if (e.EventType === EventType.ExecutionStarted)
      Object.assign(view, { Name: undefined, FunctionName: e.Name });
    if (e.EventType === EventType.ExecutionCompleted) view.OrchestrationStatus = options.runtimeStatus;
    if (e.EventType === EventType.ExecutionTerminated)
      Object.assign(view, { Input: e.Reason, Reason: undefined });
    if (hasOutput && options.showHistoryOutput) view.Result = parseJson(e.Result) ?? null;
    else if (!hasOutput) view.Result = e.Result;
    if (!options.showInput) view.Input = undefined;
    out.push({ source: e, view: withoutUndefined(view) });
  }
  return out.filter(({ source }) => !merged.has(source)).map(({ view }) => view);
};
