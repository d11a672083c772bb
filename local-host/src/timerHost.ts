import type { CapturedFunction, FunctionsCoreShim } from "./functionsCore";
import { type LocalLog } from "./invocation";
import { withRetries } from "./retryOptions";
import { invokeAsWorker, jsonData, type RpcTypedData } from "./workerInvocation";

/** One NCRONTAB field: the values it allows. */
const parseField = (text: string, min: number, max: number): ReadonlySet<number> => {
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    const [from, to] =
      range === "*"
        ? [min, max]
        : range.includes("-")
          ? range.split("-").map(Number)
          : [Number(range), stepText === undefined ? Number(range) : max];
    if (
      ![from, to, step].every((n) => Number.isInteger(n)) ||
      from! < min ||
      to! > max ||
      from! > to! ||
      step < 1
    ) {
      throw new Error(`"${text}" is not a valid schedule field (${min}-${max})`);
    }
    for (let n = from!; n <= to!; n += step) values.add(n);
  }
  return values;
};

export type Schedule = (at: Date) => boolean;

/**
 * The Functions host's NCRONTAB ("{second} {minute} {hour} {day} {month} {day-of-week}", or five fields without
 * seconds), evaluated in UTC as the host does by default: *, numbers, ranges, lists and steps.
 */
export const parseNcrontab = (expression: string): Schedule => {
  const fields = expression.trim().split(/\s+/);
  const six = fields.length === 5 ? ["0", ...fields] : fields;
  if (six.length !== 6)
    throw new Error(`"${expression}" is not an NCRONTAB expression (6 fields, or 5 without seconds)`);
  const [sec, min, hour, day, month, dow] = [
    parseField(six[0]!, 0, 59),
    parseField(six[1]!, 0, 59),
    parseField(six[2]!, 0, 23),
    parseField(six[3]!, 1, 31),
    parseField(six[4]!, 1, 12),
    parseField(six[5]!, 0, 6),
  ];
  return (at) =>
    sec.has(at.getUTCSeconds()) &&
    min.has(at.getUTCMinutes()) &&
    hour.has(at.getUTCHours()) &&
    day.has(at.getUTCDate()) &&
    month.has(at.getUTCMonth() + 1) &&
    dow.has(at.getUTCDay());
};

export interface RunningTimerHost {
  stop(): void;
}

/**
 * Runs the app's timer triggers on their schedules (checked every 250 ms, each second fires once; a run still going when its next
 * time comes is not started twice).
 */
export const startTimerHost = (
  shim: FunctionsCoreShim,
  log: LocalLog,
  extraInputs: (fn: CapturedFunction) => Readonly<Record<string, RpcTypedData>> = () => ({}),
  clock: { now(): Date } = { now: () => new Date() },
  functionTimeoutMs?: number,
): RunningTimerHost => {
  let stopped = false;
  const timers = shim.byTriggerType("timerTrigger").map((fn) => ({
    fn,
    due: parseNcrontab(typeof fn.trigger.schedule === "string" ? fn.trigger.schedule : ""),
    running: false,
    lastSecond: -1,
    last: undefined as Date | undefined,
  }));
  const run = (timer: (typeof timers)[number], scheduled: Date): void => {
    timer.running = true;
    const now = clock.now();
    // What the Functions host sends a timer trigger (PascalCase; the library camel-cases it for the handler).
    // Schedules are evaluated in UTC, so no DST adjustment; ScheduleStatus only with the monitor (default on).
    const value = {
      Schedule: { AdjustForDST: false },
      ...(timer.fn.trigger.useMonitor === false
        ? {}
        : {
            ScheduleStatus: {
              Last: (timer.last ?? now).toISOString(),
              Next: nextOccurrence(timer.due, now)?.toISOString() ?? null,
              LastUpdated: now.toISOString(),
            },
          }),
      IsPastDue: now.getTime() - scheduled.getTime() > 1000,
    };
    timer.last = now;
    withRetries(
      timer.fn,
      (retryContext) =>
        invokeAsWorker(
          shim,
          timer.fn,
          {
            trigger: jsonData(value),
            extraInputs: extraInputs(timer.fn),
            ...(retryContext === undefined ? {} : { retryContext }),
            ...(functionTimeoutMs === undefined ? {} : { timeoutMs: functionTimeoutMs }),
          },
          log,
        ),
      () => stopped,
    )
      .catch((error: unknown) =>
        log(
          "error",
          timer.fn.name,
          `timer run failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
      )
      .finally(() => (timer.running = false));
  };
  for (const timer of timers) if (timer.fn.trigger.runOnStartup === true) run(timer, clock.now());
  const interval = setInterval(() => {
    const now = clock.now();
    const second = Math.floor(now.getTime() / 1000);
    for (const timer of timers) {
      if (timer.lastSecond !== second && !timer.running && timer.due(now)) {
        timer.lastSecond = second;
        run(timer, new Date(second * 1000));
      }
    }
  }, 250);
  interval.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(interval);
    },
  };
};

/** The next second after `from` that the schedule matches, looked for up to a week ahead. */
export const nextOccurrence = (due: Schedule, from: Date): Date | undefined => {
  const start = Math.floor(from.getTime() / 1000) + 1;
  for (let second = start; second < start + 7 * 86_400; second += 1) {
    const at = new Date(second * 1000);
    if (due(at)) return at;
  }
  return undefined;
};
