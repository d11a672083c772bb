import type { CapturedFunction, FunctionsCoreShim } from "../functionsCore";
import type { LocalLog } from "../invocation";
import { invokeAsWorker, typedDataValue } from "../workerInvocation";
import { ActionType, allocateNewActions, continueAsNewInput, leafActions } from "./actionPlan";
import { type ActionObject, bindingInfo, readEpisodeResult } from "./bindingInfo";
import { planFollowUps, sequenceState } from "./followUps";
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
import { splitForSuspension } from "./suspension";

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
  /** Messages to entities (EventSent), delivered before the episode commits. */
  readonly sends: HistoryEvent[];
  /** Timer ids the orchestrator cancelled. */
  readonly cancelledTimers: number[];
  readonly continueAsNew?: { readonly input: string | undefined };
  readonly foldedKeys: string[];
  /** Events not folded because the instance is suspended: they stay pending (and in the inbox). */
  readonly held: HistoryEvent[];
}

/** Drops events already in history (an inbox row folded before a crash, a duplicate result) or twice in the batch. */
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
    if (e.InboxKey !== undefined) keys.add(e.InboxKey);
    out.push(e);
  }
  return out;
};

const stringify = (value: unknown): string => JSON.stringify(value) ?? "null";

interface EpisodeArgs {
  /** The app's registrations, whose programming model invokes the orchestrator (hooks included). */
  readonly shim: FunctionsCoreShim;
  readonly fn: CapturedFunction;
  readonly meta: InstanceMeta;
  readonly history: readonly HistoryEvent[];
  readonly batch: readonly HistoryEvent[];
  readonly now: Date;
  /** The orchestrator's own context.log lines. */
  readonly log: LocalLog;
}

/** An episode that ends the execution (completed, failed, terminated, or continued as new). */
const finished = (
  { meta, now }: EpisodeArgs,
  events: HistoryEvent[],
  status: InstanceMeta["runtimeStatus"],
  output: string,
  foldedKeys: string[],
  custom?: string,
  sends: HistoryEvent[] = [],
): Episode => ({
  events: [...events, ...sends, orchestratorCompleted(now), executionCompleted(now, output)],
  sends,
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
  held: [],
});

export const runEpisode = async (args: EpisodeArgs): Promise<Episode> => {
  const { fn, meta, history, now } = args;
  const batch = newEventsOnly(history, args.batch);
  // An item can reach a batch twice (read by a load and handed over by its writer): delete its rows once.
  const allKeys = [...new Set(args.batch.flatMap((e) => (e.InboxKey === undefined ? [] : [e.InboxKey])))];
  const terminated = batch.find((e) => e.EventType === EventType.ExecutionTerminated);
  if (terminated !== undefined) {
    const reason = stringify(terminated.Reason ?? "");
    return finished(args, [orchestratorStarted(now), terminated], "Terminated", reason, allKeys);
  }
  const { fold, held, suspended } = splitForSuspension(meta.runtimeStatus === "Suspended", batch);
  const heldKeys = new Set(held.map((e) => e.InboxKey));
  const foldedKeys = allKeys.filter((key) => !heldKeys.has(key));
  if (suspended) {
    // No replay while suspended: only the suspend/resume events are recorded.
    const next = { ...meta, runtimeStatus: "Suspended" as const, lastUpdatedTime: now.toISOString() };
    return { events: fold, meta: next, work: [], sends: [], cancelledTimers: [], foldedKeys, held };
  }

  const seq = sequenceState(history);
  const { ordered, followUps, nextId } = planFollowUps(fold, seq, now, meta.instanceId);
  const started = history.some((e) => e.EventType === EventType.ExecutionStarted);
  const fresh = [
    orchestratorStarted(now),
    ...(started ? [] : [executionStarted(now, meta.name, meta.input)]),
    ...ordered,
  ];
  const trigger = bindingInfo({
    instanceId: meta.instanceId,
    input: meta.input,
    played: history,
    fresh,
    parentInstanceId: meta.parentInstanceId,
  });
  // As the extension sends it: the binding info as JSON text, which the library parses (so every episode gets
  // fresh copies of the history; the library mutates what it gets).
  const result = await readEpisodeResult(async () => {
    const answer = await invokeAsWorker(
      args.shim,
      fn,
      { trigger: { string: JSON.stringify(trigger) } },
      args.log,
    );
    return typedDataValue(answer.returnValue);
  });
  const custom = result.customStatus === undefined ? undefined : stringify(result.customStatus);
  const end = (status: InstanceMeta["runtimeStatus"], output: string, sends: HistoryEvent[] = []) =>
    finished(args, fresh, status, output, foldedKeys, custom, sends);
  const failed = (message: string) =>
    end("Failed", stringify(`Orchestrator function '${meta.name}' failed: ${message}`));
  if (result.kind === "Failed") return failed(result.message);

  const allocated = allocateNewActions(result.actions, seq, nextId, now, meta.instanceId, meta.executionId);
  if (allocated.unsupported !== undefined) {
    return failed(`the local durable runtime does not support ${allocated.unsupported}`);
  }
  const isSend = (e: HistoryEvent) => e.EventType === EventType.EventSent;
  const sends = allocated.events.filter(isSend);
  if (result.kind === "Done") {
    // Signals sent just before returning (or continuing as new) are still delivered.
    const again = continueAsNewInput(result.actions);
    return again === undefined
      ? end("Completed", stringify(result.output), sends)
      : { ...end("Running", "null", sends), continueAsNew: again };
  }
  const work = [...followUps, ...allocated.events.filter((e) => !isSend(e))];
  const leafIds = [...seq.leafIds, ...allocated.events.map((e) => e.EventId)];
  return {
    events: [...fresh, ...followUps, ...allocated.events, orchestratorCompleted(now)],
    sends,
    meta: { ...meta, runtimeStatus: "Running", customStatus: custom, lastUpdatedTime: now.toISOString() },
    work,
    cancelledTimers: cancelledTimerIds(result.actions, leafIds),
    foldedKeys,
    held: [],
  };
};

const cancelledTimerIds = (actions: readonly ActionObject[], ids: readonly number[]): number[] =>
  leafActions(actions).flatMap((a, i) =>
    a.actionType === ActionType.CreateTimer && a.isCanceled === true && ids[i] !== undefined ? [ids[i]] : [],
  );

/** Allocations in `history` that have no completion yet: the work to resume after a restart. Messages to entities
    are not among them: they were delivered before their episode committed. */
export const openWork = (history: readonly HistoryEvent[]): HistoryEvent[] => {
  const done = new Set(history.map(completedId).filter((id) => id !== undefined));
  return history.filter(
    (e) => isAllocation(e) && e.EventType !== EventType.EventSent && !done.has(e.EventId),
  );
};
