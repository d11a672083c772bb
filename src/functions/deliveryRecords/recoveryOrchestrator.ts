import * as df from "durable-functions";
import { type OrchestrationContext, type OrchestrationHandler } from "durable-functions";
import * as E from "fp-ts/Either";
import { type Decoder } from "io-ts";

import { fieldErrorsOf } from "../../domain/fieldErrors";
import {
  type PageRequest,
  PageResult,
  RECOVER_PAGE_ACTIVITY,
  type RecoveryOutcome,
  RecoveryProgress,
} from "./recovery";

/** Pages one generation works through before it continues as new (the history stays small however many). */
export const PAGES_PER_GENERATION = 20;

/**
 * Failure policy: a page activity that throws (storage or the task hub unreachable, a host crash) is retried 5
 * times, 5 s apart, doubling. After that the recovery fails; the dead letters it did not hand over stay dead
 * letters (a page hands over each one before it removes it), and a new recovery picks them up.
 */
const pageRetry = (): df.RetryOptions => {
  const options = new df.RetryOptions(5000, 5);
  options.backoffCoefficient = 2;
  return options;
};

const decoded = <A>(codec: Decoder<unknown, A> & { name: string }, value: unknown): A => {
  const result = codec.decode(value);
  if (E.isRight(result)) return result.right;
  const paths = fieldErrorsOf(result.left).map((e) => e.path);
  throw new TypeError(`${codec.name} does not decode at ${paths.join(", ")}`);
};

/** The progress after a page: counts added, and where the next page starts. */
const advance = (progress: RecoveryProgress, page: PageResult): RecoveryProgress => {
  const { after: _done, ...rest } = progress;
  return {
    ...rest,
    found: progress.found + page.found,
    handedOver: progress.handedOver + page.handedOver,
    ...(page.next === undefined ? {} : { after: page.next }),
  };
};

const pageRequest = (p: RecoveryProgress): PageRequest => ({
  webhookId: p.webhookId,
  since: p.since,
  until: p.startedAt,
  ...(p.after === undefined ? {} : { after: p.after }),
});

/**
 * Works through a recovery's window page by page: each page activity hands over its dead letters (replay started,
 * then the row removed) and says where the next page starts. Progress is the custom status (what the status route
 * shows) and, every PAGES_PER_GENERATION pages, the input of the next generation (continueAsNew). A process killed
 * mid-way resumes from the history: the page that was running runs again and finds its handed-over dead letters
 * gone, or started and still there (then it starts nothing new and removes them). Deterministic on replay: the
 * window and the counts come from the input and the activities' results, the finish time from the replay clock.
 */
export const recoveryOrchestrator: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<df.Task, RecoveryOutcome | undefined, unknown> {
  let progress = decoded(RecoveryProgress, context.df.getInput());
  for (let n = 0; n < PAGES_PER_GENERATION; n++) {
    context.df.setCustomStatus(progress);
    const page = decoded(
      PageResult,
      yield context.df.callActivityWithRetry(RECOVER_PAGE_ACTIVITY, pageRetry(), pageRequest(progress)),
    );
    progress = advance(progress, page);
    const finishedAt = context.df.currentUtcDateTime.toISOString();
    if (page.stopped !== undefined)
      return { ...progress, outcome: "failed", reason: page.stopped, finishedAt };
    if (page.next === undefined) return { ...progress, outcome: "completed", finishedAt };
  }
  context.df.continueAsNew(progress);
  return undefined;
};
