import { EventType, type HistoryEvent } from "./historyEvents";

/**
 * Suspend and resume, as DTFx does them: ExecutionSuspended / ExecutionResumed go into history (durable-functions
 * knows both event types and skips them while replaying), and while an instance is suspended everything else that
 * arrives (activity results, timer firings, raised events, sub-orchestration results) is held, not folded, until
 * it is resumed. Termination is never held.
 */
const isControl = (e: HistoryEvent): boolean =>
  e.EventType === EventType.ExecutionSuspended ||
  e.EventType === EventType.ExecutionResumed ||
  e.EventType === EventType.ExecutionTerminated;

export interface SuspensionSplit {
  /** Events to fold into history now. */
  readonly fold: HistoryEvent[];
  /** Events to keep pending (their inbox rows stay) until the instance is resumed. */
  readonly held: HistoryEvent[];
  /** Whether the instance is suspended once this batch is folded. */
  readonly suspended: boolean;
}

/**
 * Splits a batch by the suspension state its last suspend or resume leaves.
 * Failure policy: while that state is suspended, every other event is held (kept in memory and, when it came
 * from the inbox, in its row), so nothing is lost and the instance continues with all of it once resumed.
 */
export const splitForSuspension = (
  wasSuspended: boolean,
  batch: readonly HistoryEvent[],
): SuspensionSplit => {
  let suspended = wasSuspended;
  for (const e of batch) {
    if (e.EventType === EventType.ExecutionSuspended) suspended = true;
    if (e.EventType === EventType.ExecutionResumed) suspended = false;
  }
  if (!suspended) return { fold: [...batch], held: [], suspended };
  return { fold: batch.filter(isControl), held: batch.filter((e) => !isControl(e)), suspended };
};

/** Whether a suspended instance's pending events hold anything to fold now (a resume, suspend or termination). */
export const hasControlEvent = (pending: readonly HistoryEvent[]): boolean => pending.some(isControl);
