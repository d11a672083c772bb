import * as df from "durable-functions";
import { type OrchestrationContext, type OrchestrationHandler } from "durable-functions";

import { type DispatchInput, type DispatchSettings, type DispatchSummary } from "../../domain/dispatch";
import {
  NO_COUNTS,
  paceDelayMs,
  type PartitionPosition,
  type ReplayCounters,
  roundsBySubject,
} from "../../domain/replay";
import { DISPATCH_ORCHESTRATOR } from "../dispatch/dispatchOrchestrator";
import { type ReplayRecordInput, type ReplayStep } from "./replayActivities";

export const REPLAY_ORCHESTRATOR = "hub-replay";
export const REPLAY_READ_ACTIVITY = "hub-replay-read";
export const REPLAY_RECORD_ACTIVITY = "hub-replay-record";

/** The replay orchestration's input: which replay, the step it is at, and the dispatch settings for its pages. */
export interface ReplayInput {
  readonly webhookId: string;
  readonly replayId: string;
  readonly step: number;
  readonly settings: DispatchSettings;
}

/** One orchestration per replay, named after it: a repeated start finds it. */
export const replayInstanceId = (replayId: string): string => `hub-replay:${replayId}`;

/** A page's dispatch, named after the replay and the page's events: a re-run of the step finds it. */
export const pageInstanceId = (replayId: string, partitionId: string, first: number, last: number): string =>
  `hub-replay:${replayId}:${partitionId}:${first}-${last}`;

/** Failure policy: an activity that throws (storage or the hub unreachable) is retried 5 times, 2 s apart, doubling. */
const activityRetry = (): df.RetryOptions => {
  const options = new df.RetryOptions(2000, 5);
  options.backoffCoefficient = 2;
  return options;
};

const countsOf = (eventsRead: number, summaries: ReadonlyArray<DispatchSummary>): ReplayCounters =>
  summaries.reduce<ReplayCounters>(
    (sum, s) => ({
      eventsRead: sum.eventsRead,
      planned: sum.planned + s.planned,
      delivered: sum.delivered + s.delivered,
      retried: sum.retried + s.retried,
      deadLettered: sum.deadLettered + s.deadLettered,
      dropped: sum.dropped + s.dropped,
    }),
    { ...NO_COUNTS, eventsRead },
  );

/**
 * The reader loop of one replay, one step per generation (continueAsNew: the history stays one step long, whatever
 * the window). A step reads one page per unfinished partition (the read activity), dispatches each page's
 * deliveries for the one webhook through the dispatch orchestration (a sub-orchestration per page, so signatures,
 * retries, dead letters and the delivery log are the live path's), records the new positions and counts once those
 * are done, waits for the rate, and goes on. A crash re-runs at most the step in flight: the pages' dispatches are
 * named after their events, and their deliveries carry the live webhook-ids, so receivers dedupe what comes twice.
 */
export const replayOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<ReplayInput>();
  const record = (positions: Record<string, PartitionPosition>, counts: ReplayCounters, error?: string) =>
    context.df.callActivityWithRetry(REPLAY_RECORD_ACTIVITY, activityRetry(), {
      webhookId: input.webhookId,
      replayId: input.replayId,
      step: input.step + 1,
      positions,
      counts,
      ...(error === undefined ? {} : { error }),
    } satisfies ReplayRecordInput);
  const startedAt = context.df.currentUtcDateTime.getTime();
  let step: ReplayStep;
  try {
    step = (yield context.df.callActivityWithRetry(REPLAY_READ_ACTIVITY, activityRetry(), {
      webhookId: input.webhookId,
      replayId: input.replayId,
    })) as ReplayStep;
  } catch (error) {
    // Failure policy: the hub or storage stayed unreachable through the retries: the replay ends as failed, at the
    // position it recorded last (a new replay from there loses nothing).
    yield record({}, NO_COUNTS, `reading the hub failed: ${error instanceof Error ? error.name : "error"}`);
    return "failed";
  }
  if (step.kind === "stop") return step.state;

  const pages = step.pages.filter((p) => p.deliveries.length > 0 && p.first !== undefined);
  // Per-subject webhooks: a page goes in rounds of at most one delivery per subject, round k + 1 once round k is
  // settled, so a subject's replayed deliveries keep their order; pages of different partitions go side by side.
  const rounds = pages.map((p) => (p.ordered === true ? roundsBySubject(p.deliveries) : [[...p.deliveries]]));
  const summaries: DispatchSummary[] = [];
  for (let k = 0; k < Math.max(0, ...rounds.map((r) => r.length)); k++) {
    const dispatches = pages.flatMap((p, i) => {
      const deliveries = rounds[i]?.[k];
      if (deliveries === undefined || deliveries.length === 0) return [];
      const id = pageInstanceId(input.replayId, p.partitionId, p.first ?? 0, p.last ?? 0);
      return [
        context.df.callSubOrchestrator(
          DISPATCH_ORCHESTRATOR,
          {
            kind: "deliveries",
            reason: "hub-replay",
            deliveries,
            settings: input.settings,
          } satisfies DispatchInput,
          p.ordered === true ? `${id}:r${k}` : id,
        ),
      ];
    });
    try {
      summaries.push(...((yield context.df.Task.all(dispatches)) as DispatchSummary[]));
    } catch (error) {
      // Failure policy: a page's dispatch failed (it retries its own activities, so this is storage or a bug):
      // the replay ends as failed at the position it recorded last; a new replay from there loses nothing.
      yield record(
        {},
        NO_COUNTS,
        `dispatching a page failed: ${error instanceof Error ? error.name : "error"}`,
      );
      return "failed";
    }
  }
  const eventsRead = step.pages.reduce((n, p) => n + p.eventsRead, 0);
  const positions = Object.fromEntries(step.pages.map((p) => [p.partitionId, p.position]));
  const state = (yield record(positions, countsOf(eventsRead, summaries))) as string;
  if (state !== "running") return state;

  // Pacing: a step of n events takes at least n / rate seconds, so live batches keep the workers most of the time.
  const elapsed = context.df.currentUtcDateTime.getTime() - startedAt;
  const wait = paceDelayMs(Math.max(eventsRead, 1), step.rate, elapsed);
  if (wait > 0) yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + wait));
  context.df.continueAsNew({ ...input, step: input.step + 1 } satisfies ReplayInput);
  return undefined;
};
