/**
 * When the next delivery attempt happens, or that there is none. Pure: randomness is injected, so a durable
 * orchestrator can call this with a replay-safe random source and get the same answer on every replay.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** schedule[i] is the wait before attempt i + 1: an immediate first attempt, then 7 retries over about 3.5 h. */
export const DEFAULT_RETRY_SCHEDULE: ReadonlyArray<number> = [
  0,
  5 * SECOND,
  30 * SECOND,
  2 * MINUTE,
  10 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
];

/** Jitter spreads retries of many deliveries that failed together (a receiver outage) over ±20% of the delay. */
export const JITTER_RATIO = 0.2;

/** The longest a receiver's Retry-After can hold a delivery back, whatever the schedule says. */
export const MAX_RETRY_AFTER_MS = HOUR;

export interface NextAttemptInput {
  /** Attempts made so far (0 before the first one). */
  readonly attempt: number;
  readonly schedule?: ReadonlyArray<number>;
  /** What the receiver asked for on the last attempt, if anything. */
  readonly retryAfterMs?: number;
  /** Uniform in [0, 1). */
  readonly random: () => number;
}

/**
 * How long Retry-After may push one wait out. Twice the scheduled delay, and never more than an hour.
 * Failure policy: a scheduled delay of 0 (the immediate first attempt, or a custom schedule with zeros) still
 * honours Retry-After, capped at twice the schedule's smallest non-zero delay (10 s with the default schedule),
 * so a receiver that says "slow down" is not hit again at once, nor can it park the delivery for long. A
 * schedule of only zeros means "never wait": Retry-After is then ignored.
 */
export const retryAfterCap = (scheduled: number, schedule: ReadonlyArray<number>): number => {
  const basis = scheduled > 0 ? scheduled : Math.min(...schedule.filter((d) => d > 0), Infinity);
  return Number.isFinite(basis) ? Math.min(2 * basis, MAX_RETRY_AFTER_MS) : 0;
};

/**
 * The wait in ms before attempt number `attempt + 1`, or undefined when the schedule is exhausted.
 * Failure policy: undefined means the delivery has had schedule.length attempts and goes to the dead letters,
 * where an operator can replay it; nothing is dropped silently.
 */
export const nextAttemptDelay = ({
  attempt,
  schedule = DEFAULT_RETRY_SCHEDULE,
  retryAfterMs,
  random,
}: NextAttemptInput): number | undefined => {
  if (!Number.isSafeInteger(attempt) || attempt < 0)
    throw new RangeError("attempt must be a non-negative integer");
  const scheduled = schedule[attempt];
  if (scheduled === undefined) return undefined;
  const base = Math.max(0, scheduled);
  // Failure policy: ±20% jitter, so receivers coming back from an outage are not hit by every retry at once.
  // A random source outside [0, 1) is clamped rather than trusted, keeping the delay within bounds.
  const r = Math.min(Math.max(random(), 0), 1);
  const jittered = Math.round(base * (1 - JITTER_RATIO + 2 * JITTER_RATIO * r));
  if (retryAfterMs === undefined || !(retryAfterMs > 0)) return jittered;
  // Failure policy: Retry-After only ever lengthens the wait (we never retry sooner than the schedule says),
  // and is capped (retryAfterCap) so a receiver cannot stall its deliveries for hours. Not jittered: the
  // receiver named a moment and we honour it.
  return Math.max(jittered, Math.min(Math.round(retryAfterMs), retryAfterCap(base, schedule)));
};
