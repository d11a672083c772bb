import fc from "fast-check";

import {
  type AttemptResult,
  autoDisableAt,
  countsWithin,
  DAY_MS,
  emptyHealth,
  foldAttempts,
  formatDurationMs,
  HOUR_MS,
  isSustainedFailure,
  RECENT_BUCKET_MS,
} from "./health";

const T0 = Date.parse("2026-03-01T00:00:00Z");
const at = (ms: number): string => new Date(T0 + ms).toISOString();
const ok = (ms: number): AttemptResult => ({ at: at(ms), outcome: "delivered", status: 204 });
const failed = (ms: number, status = 503): AttemptResult => ({ at: at(ms), outcome: "retryable", status });
const refused = (ms: number): AttemptResult => ({
  at: at(ms),
  outcome: "retryable",
  error: "connection-refused",
});

describe("endpoint health records", () => {
  it("counts per 5-minute bucket over the last hour and per hour over 24 hours, and reports both", () => {
    const now = new Date(T0 + 2 * HOUR_MS);
    const record = foldAttempts(
      emptyHealth,
      [ok(0), failed(60_000), ok(HOUR_MS + 30 * 60_000), failed(2 * HOUR_MS - 1)],
      now,
    );
    // The last hour's 5-minute buckets (those of 00:00-01:00 no longer overlap it and are dropped)...
    expect(record.recent).toEqual([
      { start: T0 + HOUR_MS + 30 * 60_000, deliveries: 1, failures: 0 },
      { start: T0 + 2 * HOUR_MS - RECENT_BUCKET_MS, deliveries: 1, failures: 1 },
    ]);
    // ... and the day's hourly ones.
    expect(record.hourly).toEqual([
      { start: T0, deliveries: 2, failures: 1 },
      { start: T0 + HOUR_MS, deliveries: 2, failures: 1 },
    ]);
    expect(countsWithin(record, "hour", now)).toEqual({ deliveries: 2, failures: 1, successRate: 0.5 });
    expect(countsWithin(record, "day", now)).toEqual({ deliveries: 4, failures: 2, successRate: 0.5 });
    expect(countsWithin(emptyHealth, "day", now)).toEqual({ deliveries: 0, failures: 0, successRate: null });
  });

  it("drops buckets that no longer overlap their window, so a record stays small however busy", () => {
    const first = foldAttempts(emptyHealth, [failed(0)], new Date(T0));
    const later = foldAttempts(first, [ok(DAY_MS + HOUR_MS)], new Date(T0 + DAY_MS + HOUR_MS));
    expect(later.hourly).toEqual([{ start: T0 + DAY_MS + HOUR_MS, deliveries: 1, failures: 0 }]);
    expect(later.recent).toEqual([{ start: T0 + DAY_MS + HOUR_MS, deliveries: 1, failures: 0 }]);
    // A day with an attempt every minute: at most 13 + 25 buckets.
    let busy = emptyHealth;
    for (let minute = 0; minute < 24 * 60; minute += 1)
      busy = foldAttempts(busy, [ok(minute * 60_000)], new Date(T0 + minute * 60_000));
    expect([busy.recent.length, busy.hourly.length]).toEqual([13, 24]);
    expect(countsWithin(busy, "day", new Date(T0 + 24 * 60 * 60_000 - 60_000)).deliveries).toBe(24 * 60);
  });

  it("keeps the last success and failure with their status or error kind, applying attempts by time", () => {
    const record = foldAttempts(
      emptyHealth,
      [refused(3000), ok(1000), failed(2000, 500)],
      new Date(T0 + 5000),
    );
    expect(record.lastSuccess).toEqual({ at: at(1000), status: 204 });
    expect(record.lastFailure).toEqual({ at: at(3000), error: "connection-refused" });
    expect(record.consecutiveFailures).toBe(2);
    expect(record.failingSince).toBe(at(2000));
  });

  it("ends the failing streak at a success, and a later chunk's failures start a new one", () => {
    const failing = foldAttempts(emptyHealth, [failed(0), failed(1000)], new Date(T0 + 1000));
    const recovered = foldAttempts(failing, [ok(2000)], new Date(T0 + 2000));
    expect([recovered.consecutiveFailures, recovered.failingSince]).toEqual([0, undefined]);
    const again = foldAttempts(recovered, [failed(3000)], new Date(T0 + 3000));
    expect([again.consecutiveFailures, again.failingSince]).toEqual([1, at(3000)]);
  });

  it("folding chunk by chunk gives the same record as folding all at once (attempts in time order)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(3)), { maxLength: 40 }), (steps) => {
        let time = 0;
        const chunks = steps.map(([success, gap]) => {
          time += (gap + 1) * 60_000;
          return [success ? ok(time) : failed(time)];
        });
        const now = new Date(T0 + time);
        const stepwise = chunks.reduce(
          (record, chunk) => foldAttempts(record, chunk, now),
          foldAttempts(emptyHealth, [], now),
        );
        expect(stepwise).toEqual(foldAttempts(emptyHealth, chunks.flat(), now));
      }),
    );
  });
});

describe("the sustained-failure rule", () => {
  const rule = { afterMs: 5 * DAY_MS, activeSince: at(0) };
  const failingFor = (ms: number) =>
    foldAttempts(emptyHealth, [failed(HOUR_MS), failed(HOUR_MS + ms)], new Date(T0 + HOUR_MS + ms));

  it("fires once every attempt has failed for the whole window", () => {
    expect(isSustainedFailure(failingFor(5 * DAY_MS - 1), rule)).toBe(false);
    expect(isSustainedFailure(failingFor(5 * DAY_MS), rule)).toBe(true);
    expect(autoDisableAt(failingFor(1000), rule)).toEqual(new Date(T0 + HOUR_MS + 5 * DAY_MS));
  });

  it("does not fire after a success in the window, when off (0), or before a full window since re-enabling", () => {
    const healed = foldAttempts(
      failingFor(5 * DAY_MS),
      [ok(HOUR_MS + 5 * DAY_MS + 1)],
      new Date(T0 + 6 * DAY_MS),
    );
    expect(isSustainedFailure(healed, rule)).toBe(false);
    expect(isSustainedFailure(failingFor(6 * DAY_MS), { ...rule, afterMs: 0 })).toBe(false);
    const reenabled = { ...rule, activeSince: at(4 * DAY_MS) };
    expect(isSustainedFailure(failingFor(6 * DAY_MS), reenabled)).toBe(false);
    expect(isSustainedFailure(failingFor(9 * DAY_MS), reenabled)).toBe(true);
  });

  it("formats durations in the settings' form", () => {
    expect([0, 5 * DAY_MS, 36 * HOUR_MS, 90_000, 1500].map(formatDurationMs)).toEqual([
      "0",
      "5d",
      "36h",
      "90s",
      "1500ms",
    ]);
  });
});
