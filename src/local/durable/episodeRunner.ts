import type { CapturedFunction } from "../functionsCore";
import {
  ActionType,
  allocateNewActions,
  continueAsNewInput,
  leafActions,
  planFollowUps,
  sequenceState,
} from "./actionPlan";
import {
  type ActionObject,
  bindingInfo,
  type EpisodeResult,
  invocationContext,
  readEpisodeResult,
} from "./bindingInfo";
import {
  completedId,
  EventType,
  executionCompleted,
  executionStarted,
  type HistoryEvent,
  isAllocation,
  orchestratorCompleted,
  orchestratorStarted,
} from "./historyEvents";
import type { InstanceMeta } from "./instanceStore";

/**
 * One episode: fold every new event into history at once, replay the whole history through the orchestrator's
 * captured callback (durable-functions' own replay engine), and turn its answer into the events to append,
 * the new meta row and the work to start (activities, timers, sub-orchestrations).
 */
export interface Episode {
  readonly events: HistoryEvent[];
  readonly meta: InstanceMeta;
  /** Allocation events whose work must start now. */
  readonly work: HistoryEvent[];
  /** Timer ids the orchestrator cancelled. */
  readonly cancelledTimers: number[];
  readonly continueAsNew?: { readonly input: string | undefined };
  readonly foldedKeys: string[];
}

/** Drops events already in history (an inbox row folded before a crash, a duplicate result). */
export const newEventsOnly = (
  history: readonly HistoryEvent[],
  batch: readonly HistoryEvent[],
): HistoryEvent[] => {
  const keys = new Set(history.flatMap((e) => (e.InboxKey === undefined ? [] : [e.InboxKey])));
  const done = new Set(history.flatMap((e) => (completedId(e) === undefined ? [] : [completedId(e)])));
  const out: HistoryEvent[] = [];
  for (const e of batch) {
    const id = completedId(e);
    if ((e.InboxKey !== undefined && keys.has(e.InboxKey)) || (id !== undefined && done.has(id))) continue;
    if (id !== undefined) done.add(id);
    out.push(e);
  }
  return out;
};

const stringify = (value: unknown): string => JSON.stringify(value) ?? "null";

export const runEpisode = async (args: {
  fn: CapturedFunction;
  meta: InstanceMeta;
  history: readonly HistoryEvent[];
  batch: readonly HistoryEvent[];
  now: Date;
  log: (message: string) => void;
}): Promise<Episode> => {
  const { fn, meta, history, now } = args;
  const batch = newEventsOnly(history, args.batch);
  const foldedKeys = args.batch.flatMap((e) => (e.InboxKey === undefined ? [] : [e.InboxKey]));
  const finish = (
    events: HistoryEvent[],
    status: InstanceMeta["runtimeStatus"],
    output: string,
    custom?: string,
  ) => ({
    events: [...events, orchestratorCompleted(now), executionCompleted(now, output)],
    meta: {
      ...meta,
      runtimeStatus: status,
      output,
      customStatus: custom ?? meta.customStatus,
      lastUpdatedTime: now.toISOString(),
    },
    work: [],
    cancelledTimers: [],
    foldedKeys,
  });

  const terminated = batch.find((e) => e.EventType === EventType.ExecutionTerminated);
  if (terminated !== undefined) {
    return finish([orchestratorStarted(now), terminated], "Terminated", stringify(terminated.Reason ?? ""));
  }

  const seq = sequenceState(history);
  const { ordered, followUps, nextId } = planFollowUps(batch, seq, now);
  const fresh = [
    orchestratorStarted(now),
    ...(history.length === 0 ? [executionStarted(now, meta.name, meta.input)] : []),
    ...ordered,
  ];
  const trigger = bindingInfo({
    instanceId: meta.instanceId,
    input: meta.input,
    played: history,
    fresh,
    parentInstanceId: meta.parentInstanceId,
  });
  const result: EpisodeResult = await readEpisodeResult(() =>
    fn.callback(trigger, invocationContext(fn, args.log)),
  );
  const custom = result.customStatus === undefined ? undefined : stringify(result.customStatus);
  const failed = (message: string) =>
    finish(fresh, "Failed", stringify(`Orchestrator function '${meta.name}' failed: ${message}`), custom);
  if (result.kind === "Failed") return failed(result.message);

  const allocated = allocateNewActions(result.actions, seq, nextId, now, meta.instanceId);
  if (allocated.unsupported !== undefined) {
    return failed(`the local durable runtime does not support ${allocated.unsupported}`);
  }
  if (result.kind === "Done") {
    const again = continueAsNewInput(result.actions);
    if (again !== undefined) return { ...finish(fresh, "Running", "null", custom), continueAsNew: again };
    return finish(fresh, "Completed", stringify(result.output), custom);
  }
  const work = [...followUps, ...allocated.events];
  return {
    events: [...fresh, ...work, orchestratorCompleted(now)],
    meta: { ...meta, runtimeStatus: "Running", customStatus: custom, lastUpdatedTime: now.toISOString() },
    work,
    cancelledTimers: cancelledTimerIds(result.actions, [
      ...seq.leafIds,
      ...allocated.events.map((e) => e.EventId),
    ]),
    foldedKeys,
  };
};

const cancelledTimerIds = (actions: readonly ActionObject[], ids: readonly number[]): number[] =>
  leafActions(actions).flatMap((a, i) =>
    a.actionType === ActionType.CreateTimer && a.isCanceled === true && ids[i] !== undefined ? [ids[i]] : [],
  );

/** Allocations in `history` that have no completion yet: the work to resume after a restart. */
export const openWork = (history: readonly HistoryEvent[]): HistoryEvent[] => {
  const done = new Set(history.map(completedId).filter((id) => id !== undefined));
  return history.filter((e) => isAllocation(e) && !done.has(e.EventId));
};
