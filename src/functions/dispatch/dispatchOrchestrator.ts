import * as df from "durable-functions";
import { type OrchestrationContext, type OrchestrationHandler } from "durable-functions";
import * as E from "fp-ts/Either";

import { processTelemetry } from "../../adapters/telemetry/startup";
import { type Delivery } from "../../domain/deliveryPlan";
import {
  chunk,
  type DeadLetterRequest,
  type DeliveryReport,
  DispatchInput,
  type DispatchSummary,
  foldRound,
  type PendingDelivery,
  type PlanResult,
  readPlanResult,
  seededRandom,
} from "../../domain/dispatch";
import { nextAttemptDelay } from "../../domain/retryPolicy";

export const DISPATCH_ORCHESTRATOR = "dispatch";
export const PLAN_ACTIVITY = "dispatch-plan";
export const DELIVER_ACTIVITY = "dispatch-deliver";
export const DEAD_LETTER_ACTIVITY = "dispatch-dead-letter";

/** Failure policy: an activity that throws (storage down, host crash) is retried 3 times, 2 s apart, doubling. */
const activityRetry = (): df.RetryOptions => {
  const options = new df.RetryOptions(2000, 3);
  options.backoffCoefficient = 2;
  return options;
};

/**
 * Plans the deliveries of a batch (or takes pre-planned ones: ping, replay), delivers them in chunks in
 * parallel, waits on durable timers between rounds of retries, and dead-letters what is left.
 * Deterministic on replay: settings come from the input, jitter from a random source seeded by instance and
 * round, time from context.df.currentUtcDateTime.
 */
export const dispatchOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const decoded = DispatchInput.decode(context.df.getInput());
  if (E.isLeft(decoded)) {
    // Failure policy: an input this code cannot read is a bug, not data to retry; fail the instance loudly.
    throw new Error("dispatch orchestration input does not match DispatchInput");
  }
  const input = decoded.right;
  // The plan activity delivers a small plan itself when the first round would go at once (no initial delay).
  const firstGoesAtOnce = input.settings.retrySchedule[0] === 0;
  const plan: PlanResult =
    input.kind === "deliveries"
      ? { deliveries: input.deliveries }
      : readPlanResult(
          yield context.df.callActivityWithRetry(PLAN_ACTIVITY, activityRetry(), {
            events: input.events,
            ...(firstGoesAtOnce ? { deliverUpTo: input.settings.chunkSize } : {}),
          }),
        );
  const deliveries: ReadonlyArray<Delivery> = plan.deliveries;
  let reportsInHand = plan.reports;

  let pending: ReadonlyArray<PendingDelivery> = deliveries.map((delivery) => ({ delivery, attempts: 0 }));
  const deadLetters: DeadLetterRequest[] = [];
  const summary = { planned: deliveries.length, delivered: 0, retried: 0, deadLettered: 0, dropped: 0 };
  let round = 0;
  let retryAfterMs: number | undefined;

  while (pending.length > 0) {
    const delay = nextAttemptDelay({
      attempt: round,
      schedule: input.settings.retrySchedule,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      random: seededRandom(`${context.df.instanceId}:${round}`),
    });
    if (delay === undefined) {
      // Failure policy: the schedule is exhausted; every delivery still pending becomes a dead letter.
      deadLetters.push(...pending.map((p) => ({ pending: p, reason: "retries exhausted" })));
      break;
    }
    if (delay > 0) {
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + delay));
    }
    if (round > 0) summary.retried += pending.length;
    if (round > 0) processTelemetry().retriesScheduled(pending.length, context.df.isReplaying);
    const reports = reportsInHand ?? (yield* deliverRound(context, pending, input.settings.chunkSize));
    reportsInHand = undefined;
    const result = foldRound(pending, reports);
    summary.delivered += result.delivered;
    summary.dropped += result.dropped;
    deadLetters.push(...result.deadLetter);
    pending = result.retry;
    retryAfterMs = result.retryAfterMs;
    round++;
    context.df.setCustomStatus({ round, pending: pending.length, ...summary });
  }

  if (deadLetters.length > 0) {
    yield context.df.callActivityWithRetry(DEAD_LETTER_ACTIVITY, activityRetry(), deadLetters);
    summary.deadLettered = deadLetters.length;
  }
  const output: DispatchSummary = summary;
  return output;
};

/**
 * One round: every chunk in parallel. Failure policy: if a chunk's activity still fails after its retries,
 * its deliveries get no report and are retried next round; the other chunks' results stand.
 */
function* deliverRound(
  context: OrchestrationContext,
  pending: ReadonlyArray<PendingDelivery>,
  chunkSize: number,
): Generator<df.Task, ReadonlyArray<DeliveryReport>, unknown> {
  const chunks = chunk(pending, chunkSize);
  const tasks = chunks.map((c) => context.df.callActivityWithRetry(DELIVER_ACTIVITY, activityRetry(), c));
  try {
    const results = (yield context.df.Task.all(tasks)) as DeliveryReport[][];
    return results.flat();
  } catch {
    // Task.all fails as soon as one task fails; keep whatever the others returned.
    return tasks.flatMap((task) =>
      task.isCompleted && !task.isFaulted ? (task.result as DeliveryReport[]) : [],
    );
  }
}
