import * as df from "durable-functions";
import { type OrchestrationContext, type OrchestrationHandler } from "durable-functions";
import * as E from "fp-ts/Either";

import { processTelemetry } from "../../adapters/telemetry/startup";
import { type Delivery } from "../../domain/deliveryPlan";
import {
  type DeadLetterRequest,
  type DeliverInput,
  type DeliveryReport,
  DispatchInput,
  type DispatchSummary,
  foldRound,
  nextDueAt,
  type PendingDelivery,
  type PlanResult,
  readPlanResult,
  seededRandom,
} from "../../domain/dispatch";
import { chunkByStream, holdUntil } from "../../domain/ordering";
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

/** Raised on an orchestration that holds an ordered delivery (the operator's skip and retry-now). */
export const SUBJECT_ACTION_EVENT = "subject-action";
export interface SubjectAction {
  readonly action: "retry-now" | "skip";
  readonly deliveryId: string;
}

/** Deliveries due within this of the earliest go in the same round: one timer and one round, not many. */
const ROUND_WINDOW_MS = 1000;

interface Pending extends PendingDelivery {
  /** When it goes next (ms since epoch); undefined: at once. */
  readonly dueAt?: number;
  /** How many times it was held behind an earlier delivery of its subject. */
  readonly looks?: number;
  /** Rounds it went out in (attempted, or its chunk's activity failed): its place in the retry schedule. */
  readonly tries?: number;
}

/**
 * Plans the deliveries of a batch (or takes pre-planned ones: ping, replay), delivers them in chunks in
 * parallel, waits on durable timers until the next deliveries are due, and dead-letters what is left.
 * Every delivery has its own due time: a retried one goes when its retry schedule says, an ordered one held
 * behind an earlier delivery of its subject looks again after a short wait (holdDelayMs), or together with
 * that earlier delivery when this orchestration holds it. Deliveries due within ROUND_WINDOW_MS go together.
 * Deterministic on replay: settings come from the input, jitter from a random source seeded by instance and
 * attempt, time from context.df.currentUtcDateTime.
 */
export const dispatchOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const decoded = DispatchInput.decode(context.df.getInput());
  if (E.isLeft(decoded)) {
    // Failure policy: an input this code cannot read is a bug, not data to retry; fail the instance loudly.
    throw new Error("dispatch orchestration input does not match DispatchInput");
  }
  const input = decoded.right;
  const instanceId = context.df.instanceId;
  const schedule = input.settings.retrySchedule;
  // The plan activity delivers a small plan itself when the first round would go at once (no initial delay).
  const firstGoesAtOnce = schedule[0] === 0;
  // "rest": the ingest made the first round itself (ingest.ts) and hands over only what it did not settle.
  const plan: PlanResult =
    input.kind === "deliveries"
      ? { deliveries: input.deliveries }
      : input.kind === "rest"
        ? { deliveries: input.deliveries, reports: input.reports as unknown as DeliveryReport[] }
        : readPlanResult(
            yield context.df.callActivityWithRetry(PLAN_ACTIVITY, activityRetry(), {
              events: input.events,
              ...(input.sequences === undefined ? {} : { sequences: input.sequences }),
              ...(firstGoesAtOnce ? { deliverUpTo: input.settings.chunkSize } : {}),
              ...(firstGoesAtOnce && input.sequences !== undefined
                ? { instanceId, retrySchedule: schedule }
                : {}),
            }),
          );
  const deliveries: ReadonlyArray<Delivery> = plan.deliveries;
  let reportsInHand = plan.reports;

  const now = (): number => context.df.currentUtcDateTime.getTime();
  const firstDelay = nextAttemptDelay({ attempt: 0, schedule, random: seededRandom(`${instanceId}:0`) });
  let pending: ReadonlyArray<Pending> = deliveries.map((delivery) => ({
    delivery,
    attempts: 0,
    ...(firstDelay !== undefined && firstDelay > 0 ? { dueAt: now() + firstDelay } : {}),
  }));
  const deadLetters: DeadLetterRequest[] = firstDelay === undefined ? pending.map(exhausted) : [];
  if (firstDelay === undefined) pending = [];
  const counted = input.kind === "rest" ? input.counted : undefined;
  const summary = {
    planned: counted?.planned ?? deliveries.length,
    delivered: counted?.delivered ?? 0,
    retried: 0,
    deadLettered: 0,
    dropped: counted?.dropped ?? 0,
  };
  let round = 0;

  while (pending.length > 0) {
    const earliest = Math.min(...pending.map((p) => p.dueAt ?? 0));
    if (reportsInHand === undefined && earliest > now()) {
      const timer = context.df.createTimer(new Date(earliest));
      if (!pending.some((p) => p.delivery.sequence !== undefined)) {
        yield timer;
      } else {
        // An operator may ask a held subject's head to go now, or to be skipped (dead-lettered).
        const action = context.df.waitForExternalEvent(SUBJECT_ACTION_EVENT);
        const winner: unknown = yield context.df.Task.any([timer, action]);
        if (winner === action) {
          timer.cancel();
          const acted = actOnSubject(pending, action.result as SubjectAction, now());
          pending = acted.pending;
          if (acted.skipped !== undefined) {
            yield context.df.callActivityWithRetry(DEAD_LETTER_ACTIVITY, activityRetry(), [acted.skipped]);
            summary.deadLettered++;
            pending = pending.map((p) =>
              acted.skipped !== undefined && sameStream(p, acted.skipped.pending)
                ? { ...p, dueAt: now() }
                : p,
            );
          }
        }
      }
      continue;
    }
    const dueBy = Math.max(earliest, now()) + ROUND_WINDOW_MS;
    const due = reportsInHand === undefined ? pending.filter((p) => (p.dueAt ?? 0) <= dueBy) : pending;
    const waiting = reportsInHand === undefined ? pending.filter((p) => (p.dueAt ?? 0) > dueBy) : [];
    const retriedNow = due.filter((p) => (p.tries ?? 0) > 0).length;
    summary.retried += retriedNow;
    if (retriedNow > 0) processTelemetry().retriesScheduled(retriedNow, context.df.isReplaying);
    const reports =
      reportsInHand ?? (yield* deliverRound(context, due, input.settings.chunkSize, instanceId, schedule));
    reportsInHand = undefined;
    const result = foldRound(due, reports);
    const triesOf = new Map(due.map((p) => [p.delivery.id, p.tries ?? 0]));
    summary.delivered += result.delivered;
    summary.dropped += result.dropped;
    const at = now();
    const next: Pending[] = [...waiting];
    const roundDeadLetters: DeadLetterRequest[] = [...result.deadLetter];
    for (const p of result.retry) {
      // A delivery without a report (its chunk's activity failed) counts the round as a try, like an attempt.
      const tries = (triesOf.get(p.delivery.id) ?? 0) + 1;
      // The longest Retry-After of the round holds back all of its retries (one timer, as before ordering).
      const dueAt = nextDueAt({
        failedAt: at,
        attempts: tries,
        schedule,
        ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
        seed: instanceId,
      });
      // Failure policy: the schedule is exhausted; the delivery becomes a dead letter.
      if (dueAt === undefined) roundDeadLetters.push(exhausted(p));
      else next.push({ ...p, dueAt, tries });
    }
    // Ordered dead letters are written now: their subjects move on (or block) only once they are stored.
    const orderedDead = roundDeadLetters.filter((d) => d.pending.delivery.sequence !== undefined);
    deadLetters.push(...roundDeadLetters.filter((d) => d.pending.delivery.sequence === undefined));
    if (orderedDead.length > 0) {
      yield context.df.callActivityWithRetry(DEAD_LETTER_ACTIVITY, activityRetry(), orderedDead);
      summary.deadLettered += orderedDead.length;
    }
    pending = [...next, ...holdAgain(result.held, reports, next, at)];
    round++;
    context.df.setCustomStatus({ round, pending: pending.length, ...summary });
  }

  if (deadLetters.length > 0) {
    yield context.df.callActivityWithRetry(DEAD_LETTER_ACTIVITY, activityRetry(), deadLetters);
    summary.deadLettered += deadLetters.length;
  }
  const output: DispatchSummary = summary;
  return output;
};

const asPendingDelivery = ({ dueAt: _dueAt, looks: _looks, tries: _tries, ...p }: Pending): PendingDelivery =>
  p;

const exhausted = (p: PendingDelivery): DeadLetterRequest => ({ pending: p, reason: "retries exhausted" });

/**
 * Held deliveries look again: together with the earlier delivery of their subject when this orchestration
 * holds it (so its success lets them go in the same round), otherwise after holdDelayMs.
 */
const holdAgain = (
  held: ReadonlyArray<Pending>,
  reports: ReadonlyArray<DeliveryReport>,
  others: ReadonlyArray<Pending>,
  at: number,
): Pending[] => {
  const why = new Map(reports.flatMap((r) => ("held" in r ? [[r.deliveryId, r] as const] : [])));
  return held.map((p) => {
    const sequence = p.delivery.sequence;
    const earlier =
      sequence === undefined
        ? undefined
        : others.find(
            (o) =>
              o.delivery.webhookId === p.delivery.webhookId &&
              o.delivery.sequence !== undefined &&
              o.delivery.subject === p.delivery.subject &&
              o.delivery.sequence.n < sequence.n,
          );
    const looks = (p.looks ?? 0) + 1;
    if (earlier?.dueAt !== undefined) return { ...p, looks, dueAt: earlier.dueAt };
    const report = why.get(p.delivery.id);
    return {
      ...p,
      looks,
      dueAt: holdUntil({
        at,
        looks: looks - 1,
        ...(report?.behind === undefined ? {} : { behind: report.behind }),
        ...(report?.lookAt === undefined ? {} : { lookAt: Date.parse(report.lookAt) }),
      }),
    };
  });
};

/** An operator's action on a held head: go now, or dead-letter it now (skip). Other deliveries are kept. */
const actOnSubject = (
  pending: ReadonlyArray<Pending>,
  action: SubjectAction,
  at: number,
): { pending: ReadonlyArray<Pending>; skipped?: DeadLetterRequest } => {
  const target = pending.find((p) => p.delivery.id === action.deliveryId);
  if (target === undefined) return { pending };
  if (action.action === "retry-now") {
    return { pending: pending.map((p) => (p === target || sameStream(p, target) ? { ...p, dueAt: at } : p)) };
  }
  return {
    pending: pending.filter((p) => p !== target),
    skipped: { pending: target, reason: "skipped by an operator" },
  };
};

const sameStream = (a: PendingDelivery, b: PendingDelivery): boolean =>
  a.delivery.webhookId === b.delivery.webhookId &&
  a.delivery.sequence !== undefined &&
  b.delivery.sequence !== undefined &&
  a.delivery.subject === b.delivery.subject;

/**
 * One round: every chunk in parallel. Failure policy: if a chunk's activity still fails after its retries,
 * its deliveries get no report and are retried next round; the other chunks' results stand.
 */
function* deliverRound(
  context: OrchestrationContext,
  pending: ReadonlyArray<Pending>,
  chunkSize: number,
  instanceId: string,
  retrySchedule: ReadonlyArray<number>,
): Generator<df.Task, ReadonlyArray<DeliveryReport>, unknown> {
  // What the activity needs of a pending delivery (not its due time): history stays as small as before.
  const chunks = chunkByStream(pending.map(asPendingDelivery), chunkSize);
  const ordered = pending.some((p) => p.delivery.sequence !== undefined);
  const tasks = chunks.map((c) =>
    context.df.callActivityWithRetry(
      DELIVER_ACTIVITY,
      activityRetry(),
      ordered ? ({ deliveries: c, instanceId, retrySchedule } satisfies DeliverInput) : c,
    ),
  );
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
