import * as t from "io-ts";

/**
 * Endpoint health of one webhook, kept by the delivery path: counters in 5-minute buckets over the last hour and in
 * hourly buckets over the last 24 hours (at most 13 + 25 of them, so a record stays about 2 KB however busy the
 * webhook is), the last success and the last failure, and the current failing streak. Pure: the adapter reads a
 * record, folds a chunk's attempts into it with `foldAttempts` and writes it back (one write per webhook per chunk).
 */

export const MINUTE_MS = 60_000;
export const RECENT_BUCKET_MS = 5 * MINUTE_MS;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Deliveries and failures of the bucket starting at `start` (epoch ms, a multiple of the bucket's size). */
export const HealthBucket = t.type(
  { start: t.number, deliveries: t.number, failures: t.number },
  "HealthBucket",
);
export type HealthBucket = t.TypeOf<typeof HealthBucket>;

export const LastAttempt = t.intersection(
  [t.type({ at: t.string }), t.partial({ status: t.number, error: t.string })],
  "LastAttempt",
);
export type LastAttempt = t.TypeOf<typeof LastAttempt>;

export const HealthRecord = t.intersection(
  [
    t.type({
      /** 5-minute buckets overlapping the last hour. */
      recent: t.readonlyArray(HealthBucket),
      /** Hourly buckets overlapping the last 24 hours. */
      hourly: t.readonlyArray(HealthBucket),
      /** Failed attempts since the last success (all of them when there never was one). */
      consecutiveFailures: t.number,
    }),
    t.partial({
      lastSuccess: LastAttempt,
      lastFailure: LastAttempt,
      /** The first failure of the current failing streak; absent while the last attempt succeeded. */
      failingSince: t.string,
      updatedAt: t.string,
    }),
  ],
  "HealthRecord",
);
export type HealthRecord = t.TypeOf<typeof HealthRecord>;

export const emptyHealth: HealthRecord = { recent: [], hourly: [], consecutiveFailures: 0 };

/** What health needs of one attempt (a delivery log row has all of it). */
export interface AttemptResult {
  readonly at: string;
  readonly outcome: "delivered" | "retryable" | "permanent";
  readonly status?: number;
  readonly error?: string;
}

const lastOf = (a: AttemptResult): LastAttempt => ({
  at: a.at,
  ...(a.status === undefined ? {} : { status: a.status }),
  ...(a.error === undefined ? {} : { error: a.error }),
});

const later = (x: LastAttempt | undefined, y: LastAttempt): LastAttempt =>
  x === undefined || Date.parse(y.at) >= Date.parse(x.at) ? y : x;

/** Adds one attempt (made at `ms`, failed or not) to the counters of its bucket of `size`. */
const count = (buckets: Map<number, HealthBucket>, size: number, ms: number, failed: boolean): void => {
  const start = Math.floor(ms / size) * size;
  const bucket = buckets.get(start);
  buckets.set(start, {
    start,
    deliveries: (bucket?.deliveries ?? 0) + 1,
    failures: (bucket?.failures ?? 0) + (failed ? 1 : 0),
  });
};

/** The buckets of `size` that still overlap the `windowMs` before `now`, oldest first. */
const kept = (
  buckets: Map<number, HealthBucket>,
  size: number,
  windowMs: number,
  now: Date,
): HealthBucket[] =>
  [...buckets.values()]
    .filter((b) => b.start + size > now.getTime() - windowMs)
    .sort((x, y) => x.start - y.start);

/**
 * The record after `attempts` (in any order: they are applied by time). A success ends the failing streak; each
 * failure after the last success extends it. Buckets that no longer overlap their window are dropped.
 */
export const foldAttempts = (
  record: HealthRecord,
  attempts: ReadonlyArray<AttemptResult>,
  now: Date,
): HealthRecord => {
  const sorted = attempts.map((a) => ({ a, ms: Date.parse(a.at) })).sort((x, y) => x.ms - y.ms);
  const recent = new Map(record.recent.map((b) => [b.start, b]));
  const hourly = new Map(record.hourly.map((b) => [b.start, b]));
  let { consecutiveFailures, failingSince, lastSuccess, lastFailure } = record;
  let newestSuccess: AttemptResult | undefined;
  let newestFailure: AttemptResult | undefined;
  for (const { a: attempt, ms } of sorted) {
    const failed = attempt.outcome !== "delivered";
    count(recent, RECENT_BUCKET_MS, ms, failed);
    count(hourly, HOUR_MS, ms, failed);
    if (failed) {
      newestFailure = attempt;
      consecutiveFailures++;
      failingSince ??= attempt.at;
    } else {
      newestSuccess = attempt;
      consecutiveFailures = 0;
      failingSince = undefined;
    }
  }
  if (newestSuccess !== undefined) lastSuccess = later(lastSuccess, lastOf(newestSuccess));
  if (newestFailure !== undefined) lastFailure = later(lastFailure, lastOf(newestFailure));
  return {
    recent: kept(recent, RECENT_BUCKET_MS, HOUR_MS, now),
    hourly: kept(hourly, HOUR_MS, DAY_MS, now),
    consecutiveFailures,
    ...(lastSuccess === undefined ? {} : { lastSuccess }),
    ...(lastFailure === undefined ? {} : { lastFailure }),
    ...(failingSince === undefined ? {} : { failingSince }),
    updatedAt: now.toISOString(),
  };
};

export interface Counts {
  readonly deliveries: number;
  readonly failures: number;
  /** Delivered / attempted, 0..1; null without attempts. */
  readonly successRate: number | null;
}

/**
 * Attempts in the last hour (`"hour"`: the 5-minute buckets overlapping it, so 60-65 minutes) or the last 24 hours
 * (`"day"`: the hourly buckets overlapping them, 24-25 hours).
 */
export const countsWithin = (record: HealthRecord, window: "hour" | "day", now: Date): Counts => {
  const [buckets, size, windowMs] =
    window === "hour" ? [record.recent, RECENT_BUCKET_MS, HOUR_MS] : [record.hourly, HOUR_MS, DAY_MS];
  const from = now.getTime() - windowMs;
  let deliveries = 0;
  let failures = 0;
  for (const b of buckets)
    if (b.start + size > from && b.start <= now.getTime()) {
      deliveries += b.deliveries;
      failures += b.failures;
    }
  return {
    deliveries,
    failures,
    successRate:
      deliveries === 0 ? null : Math.round(((deliveries - failures) / deliveries) * 10_000) / 10_000,
  };
};

/**
 * When a webhook that keeps failing is to be disabled: `afterMs` after its streak began, or after it was (re-)
 * enabled if that was later (re-enabling gives a full window). Undefined when it is not failing or the rule is off.
 */
export const autoDisableAt = (
  record: HealthRecord,
  rule: { readonly afterMs: number; readonly activeSince: string },
): Date | undefined => {
  if (rule.afterMs <= 0 || record.failingSince === undefined || record.consecutiveFailures === 0)
    return undefined;
  const start = Math.max(Date.parse(record.failingSince), Date.parse(rule.activeSince));
  return new Date(start + rule.afterMs);
};

/**
 * Sustained failure: every attempt has failed for at least `afterMs` and the last attempt is at or past that
 * point (so the decision rests on a failure observed after the window, not on the clock alone).
 */
export const isSustainedFailure = (
  record: HealthRecord,
  rule: { readonly afterMs: number; readonly activeSince: string },
): boolean => {
  const at = autoDisableAt(record, rule);
  return (
    at !== undefined && record.lastFailure !== undefined && Date.parse(record.lastFailure.at) >= at.getTime()
  );
};

/** The reason a webhook disabled by the sustained-failure rule carries. */
export const SUSTAINED_FAILURE = "sustained-failure";

/** Milliseconds as the shortest exact duration text of the settings' form ("5d", "36h", "90s", "0"). */
export const formatDurationMs = (ms: number): string => {
  if (ms === 0) return "0";
  for (const [unit, size] of [
    ["d", DAY_MS],
    ["h", HOUR_MS],
    ["m", MINUTE_MS],
    ["s", 1000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
};
