import fc from "fast-check";

import { DEFAULT_RETRY_SCHEDULE, MAX_RETRY_AFTER_MS, nextAttemptDelay, retryAfterCap } from "./retryPolicy";

const middle = (): number => 0.5; // no jitter
const lowest = (): number => 0;
const highest = (): number => 0.999999;

describe("nextAttemptDelay", () => {
  it.each([
    [0, 0],
    [1, 5_000],
    [2, 30_000],
    [3, 120_000],
    [4, 600_000],
    [5, 1_800_000],
    [6, 3_600_000],
    [7, 7_200_000],
  ])("waits the scheduled delay before attempt %i + 1 (no jitter)", (attempt, expected) => {
    expect(nextAttemptDelay({ attempt, random: middle })).toBe(expected);
  });

  it("dead-letters after the eighth attempt of the default schedule", () => {
    expect(nextAttemptDelay({ attempt: 8, random: middle })).toBeUndefined();
    expect(nextAttemptDelay({ attempt: 100, random: middle })).toBeUndefined();
  });

  it.each([
    [lowest, 4_000],
    [highest, 6_000],
  ])("jitters by at most 20%% either way", (random, expected) => {
    expect(nextAttemptDelay({ attempt: 1, random })).toBe(expected);
  });

  it.each([
    ["shorter than the jittered delay: the schedule wins", 1, 1_000, 5_000],
    ["longer: honoured", 2, 50_000, 50_000],
    ["beyond twice the scheduled delay: capped at twice", 2, 600_000, 60_000],
    [
      "beyond an hour at the last slot: the jittered 2 h delay already exceeds the 1 h cap",
      7,
      5 * 3_600_000,
      7_200_000,
    ],
    ["at the immediate first slot: capped at twice the smallest non-zero delay", 0, 60_000, 10_000],
    ["zero: ignored", 3, 0, 120_000],
    ["negative: ignored", 3, -5, 120_000],
  ])("Retry-After %s", (_label, attempt, retryAfterMs, expected) => {
    expect(nextAttemptDelay({ attempt, retryAfterMs, random: middle })).toBe(expected);
  });

  it("caps Retry-After at an hour even when twice the scheduled delay is longer", () => {
    const schedule = [0, 45 * 60_000];
    expect(nextAttemptDelay({ attempt: 1, schedule, retryAfterMs: 3 * 3_600_000, random: middle })).toBe(
      MAX_RETRY_AFTER_MS,
    );
  });

  it("ignores Retry-After when the schedule never waits", () => {
    expect(nextAttemptDelay({ attempt: 1, schedule: [0, 0, 0], retryAfterMs: 30_000, random: middle })).toBe(
      0,
    );
  });

  it("clamps a random source that leaves [0, 1)", () => {
    expect(nextAttemptDelay({ attempt: 1, random: () => 7 })).toBe(6_000);
    expect(nextAttemptDelay({ attempt: 1, random: () => -1 })).toBe(4_000);
  });

  it("refuses a nonsense attempt count", () => {
    expect(() => nextAttemptDelay({ attempt: -1, random: middle })).toThrow(RangeError);
    expect(() => nextAttemptDelay({ attempt: 1.5, random: middle })).toThrow(RangeError);
  });
});

describe("retryAfterCap", () => {
  it.each([
    [5_000, 10_000],
    [30 * 60_000, 3_600_000],
    [0, 10_000],
  ])("for a scheduled delay of %i ms is %i ms", (scheduled, cap) => {
    expect(retryAfterCap(scheduled, DEFAULT_RETRY_SCHEDULE)).toBe(cap);
  });
});

const scheduleArb = fc.array(fc.integer({ min: 0, max: 3 * 3_600_000 }), { minLength: 1, maxLength: 12 });
const randomArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe("nextAttemptDelay (properties)", () => {
  it("always stays within the jitter band, lengthened only by a capped Retry-After", () => {
    fc.assert(
      fc.property(
        scheduleArb,
        fc.nat(15),
        fc.option(fc.integer({ min: -1_000, max: 10 * 3_600_000 }), { nil: undefined }),
        randomArb,
        (schedule, attempt, retryAfterMs, r) => {
          const delay = nextAttemptDelay({ attempt, schedule, retryAfterMs, random: () => r });
          const base = schedule[attempt];
          if (base === undefined) return expect(delay).toBeUndefined();
          const low = Math.round(base * 0.8);
          const high = Math.max(Math.round(base * 1.2), retryAfterMs ? retryAfterCap(base, schedule) : 0);
          expect(delay).toBeGreaterThanOrEqual(low);
          expect(delay).toBeLessThanOrEqual(high);
          expect(Number.isInteger(delay)).toBe(true);
          if (retryAfterMs !== undefined && retryAfterMs > 0) {
            expect(delay).toBeLessThanOrEqual(Math.max(Math.round(base * 1.2), MAX_RETRY_AFTER_MS));
          }
        },
      ),
    );
  });

  it("is exhausted exactly after schedule.length attempts", () => {
    fc.assert(
      fc.property(scheduleArb, randomArb, (schedule, r) => {
        const random = (): number => r;
        for (let attempt = 0; attempt < schedule.length; attempt++) {
          expect(nextAttemptDelay({ attempt, schedule, random })).toBeDefined();
        }
        expect(nextAttemptDelay({ attempt: schedule.length, schedule, random })).toBeUndefined();
      }),
    );
  });

  it("never schedules sooner than the receiver asked, unless the cap applies", () => {
    fc.assert(
      fc.property(
        scheduleArb,
        fc.nat(11),
        fc.integer({ min: 1, max: 10 * 3_600_000 }),
        randomArb,
        (s, a, ra, r) => {
          const delay = nextAttemptDelay({ attempt: a, schedule: s, retryAfterMs: ra, random: () => r });
          const base = s[a];
          if (base === undefined) return;
          expect(delay).toBeGreaterThanOrEqual(Math.min(ra, retryAfterCap(base, s)));
        },
      ),
    );
  });
});
