import { count } from "../counters";
import type { CapturedFunction, FunctionsCoreShim } from "../functionsCore";
import type { LocalLog } from "../invocation";
import { invokeAsWorker, returnValueJson, type RpcTypedData } from "../workerInvocation";
import { type Failure, type HistoryEvent, taskCompleted, taskFailed } from "./historyEvents";
import { HTTP_ACTIVITY, runHttpActivity } from "./httpActivity";

/**
 * Runs activities through their captured callbacks (what durable-functions' wrapActivityHandler registered),
 * at most `limit` at once, and hands each outcome on as a TaskCompleted / TaskFailed event.
 */
export interface ActivityJob {
  readonly instanceId: string;
  readonly executionId: string;
  readonly taskId: number;
  readonly name: string;
  readonly input?: string;
}

const RECORD_RETRY_FIRST_MS = 250;
const RECORD_RETRY_MAX_MS = 5000;

const jobKey = (job: ActivityJob): string => `${job.instanceId}\u0000${job.executionId}\u0000${job.taskId}`;

/** How an activity error reaches the orchestrator. A message that is a FailureDetails JSON (written by
    wrapActivityHandler when an ExceptionPropertiesProvider is registered) is passed on structured. */
export const activityFailure = (name: string, error: unknown): Failure => {
  const message = error instanceof Error ? error.message : String(error);
  const details = error instanceof Error ? (error.stack ?? "") : "";
  try {
    const parsed: unknown = JSON.parse(message);
    if (typeof parsed === "object" && parsed !== null && "errorType" in parsed && "errorMessage" in parsed) {
      const p = parsed as Record<string, unknown>;
      return {
        Reason: `Activity function '${name}' failed: ${String(p.errorMessage)}`,
        Details: details,
        FailureDetails: {
          ErrorType: String(p.errorType),
          ErrorMessage: String(p.errorMessage),
          StackTrace: typeof p.stackTrace === "string" ? p.stackTrace : undefined,
          IsNonRetriable: p.isNonRetriable === true,
          Properties:
            typeof p.properties === "object" ? (p.properties as Record<string, unknown>) : undefined,
        },
      };
    }
  } catch {
    // Not structured: plain Reason + Details below.
  }
  return { Reason: `Activity function '${name}' failed: ${message}`, Details: details };
};

export class ActivityRunner {
  private readonly queue: ActivityJob[] = [];
  private readonly active = new Map<string, Promise<void>>();
  private readonly known = new Set<string>();
  private accepting = true;
  /** Wake-ups of outcomes waiting to be recorded again, called on stop. */
  private readonly pauses = new Set<() => void>();

  constructor(
    private readonly shim: FunctionsCoreShim,
    private readonly limit: number,
    private readonly clock: { now(): Date },
    private readonly onOutcome: (job: ActivityJob, event: HistoryEvent) => Promise<void>,
    private readonly log: (message: string) => void,
    private readonly functionLog: LocalLog,
    /** host.json functionTimeout in ms (none when undefined): a longer activity fails with a timeout error. */
    private readonly timeoutMs?: number,
    /** The values of the activity's durableClient inputs (an activity may start or query instances, as in Azure). */
    private readonly clientInputs: (
      fn: CapturedFunction,
    ) => Readonly<Record<string, RpcTypedData>> = () => ({}),
  ) {}

  /** Queues a job unless the same task is already queued or running. */
  enqueue(job: ActivityJob): void {
    const key = jobKey(job);
    if (!this.accepting || this.known.has(key)) return;
    this.known.add(key);
    this.queue.push(job);
    this.pump();
  }

  get busy(): number {
    return this.queue.length + this.active.size;
  }

  /** Stops starting jobs and waits up to `graceMs` for the running ones. */
  async stop(graceMs: number): Promise<void> {
    this.accepting = false;
    this.queue.length = 0;
    [...this.pauses].forEach((wake) => wake());
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.allSettled([...this.active.values()]), grace]);
    clearTimeout(timer);
    // Failure policy: an activity cut off here has no stored result, so it runs again after the restart.
    if (this.active.size > 0)
      this.log(
        `${this.active.size} activity(ies) still running at the drain timeout; they run again after the restart`,
      );
  }

  private pump(): void {
    while (this.accepting && this.active.size < this.limit && this.queue.length > 0) {
      const job = this.queue.shift();
      if (job === undefined) break;
      const key = jobKey(job);
      const run = this.run(job).finally(() => {
        this.active.delete(key);
        this.known.delete(key);
        this.pump();
      });
      this.active.set(key, run);
    }
  }

  private async run(job: ActivityJob): Promise<void> {
    await this.record(job, await this.execute(job));
  }

  /**
   * Failure policy: an outcome that cannot be recorded (storage unreachable) is tried again, waiting 250 ms
   * doubling up to 5 s, for as long as the runtime runs; the job keeps its slot meanwhile, so new activities wait
   * instead of piling up outcomes in memory. Only a stop gives up: the task stays scheduled in history without a
   * result, so it is sent again when the runtime next starts (at least once). Giving up while running would leave
   * its orchestration waiting for a result that never comes, until a restart.
   */
  private async record(job: ActivityJob, event: HistoryEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.onOutcome(job, event);
        if (attempt > 1) this.log(`recorded the outcome of activity ${job.name} after ${attempt} attempts`);
        return;
      } catch (error) {
        if (!this.accepting) {
          this.log(`could not record the outcome of activity ${job.name}; it runs again after a restart`);
          return;
        }
        if (attempt === 1) {
          const reason = error instanceof Error ? error.message : String(error);
          this.log(`could not record the outcome of activity ${job.name} (${reason}); trying again`);
        }
        await this.pause(Math.min(RECORD_RETRY_MAX_MS, RECORD_RETRY_FIRST_MS * 2 ** (attempt - 1)));
      }
    }
  }

  /** Waits `ms`, or less if the runner stops meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.pauses.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.pauses.add(wake);
    });
  }

  private async execute(job: ActivityJob): Promise<HistoryEvent> {
    count("durable.activitiesRun");
    if (job.name === HTTP_ACTIVITY) {
      try {
        const response = await runHttpActivity(job.input);
        return taskCompleted(this.clock.now(), job.taskId, JSON.stringify(response));
      } catch (error) {
        return taskFailed(this.clock.now(), job.taskId, activityFailure(job.name, error));
      }
    }
    const fn = this.shim.functions.get(job.name);
    if (fn === undefined || fn.trigger.type.toLowerCase() !== "activitytrigger") {
      const reason = `The function '${job.name}' doesn't exist, is disabled, or is not an activity function.`;
      return taskFailed(this.clock.now(), job.taskId, { Reason: reason, Details: "" });
    }
    try {
      // The input goes in as the extension sends it (JSON text, parsed by the library), hooks included.
      const answer = await invokeAsWorker(
        this.shim,
        fn,
        {
          trigger: job.input === undefined ? {} : { string: job.input },
          extraInputs: this.clientInputs(fn),
          ...(this.timeoutMs === undefined ? {} : { timeoutMs: this.timeoutMs }),
        },
        this.functionLog,
      );
      return taskCompleted(this.clock.now(), job.taskId, returnValueJson(answer.returnValue));
    } catch (error) {
      return taskFailed(this.clock.now(), job.taskId, activityFailure(job.name, error));
    }
  }
}
