import fc from "fast-check";

import type { DeliveryErrorKind } from "./classification";
import { classifyError, classifyResponse, parseRetryAfter } from "./classification";

const NOW = new Date("2026-11-25T10:00:00.000Z");

describe("classifyResponse", () => {
  it.each([200, 201, 202, 204, 299])("treats %i as delivered", (status) => {
    expect(classifyResponse(status, {}, NOW)).toEqual({ kind: "delivered", status });
  });

  it.each([408, 425, 429, 500, 502, 503, 504, 599])("treats %i as retryable", (status) => {
    expect(classifyResponse(status, {}, NOW)).toEqual({ kind: "retryable", status });
  });

  it("treats 410 Gone as permanent and marks the webhook gone", () => {
    expect(classifyResponse(410, {}, NOW)).toEqual({ kind: "permanent", status: 410, gone: true });
  });

  it.each([100, 101, 199, 300, 301, 302, 304, 307, 308, 400, 401, 403, 404, 405, 409, 413, 422, 451, 600, 0])(
    "treats %i as permanent without disabling the webhook (redirects are not followed)",
    (status) => {
      expect(classifyResponse(status, {}, NOW)).toEqual({ kind: "permanent", status, gone: false });
    },
  );

  it("carries Retry-After on a retryable response", () => {
    expect(classifyResponse(429, { retryAfter: "120" }, NOW)).toEqual({
      kind: "retryable",
      status: 429,
      retryAfterMs: 120_000,
    });
    expect(classifyResponse(503, { retryAfter: "Wed, 25 Nov 2026 10:00:30 GMT" }, NOW)).toEqual({
      kind: "retryable",
      status: 503,
      retryAfterMs: 30_000,
    });
  });

  it("ignores a garbage Retry-After and does not attach one to delivered or permanent outcomes", () => {
    expect(classifyResponse(429, { retryAfter: "soon" }, NOW)).toEqual({ kind: "retryable", status: 429 });
    expect(classifyResponse(200, { retryAfter: "10" }, NOW)).toEqual({ kind: "delivered", status: 200 });
    expect(classifyResponse(301, { retryAfter: "10" }, NOW)).toEqual({
      kind: "permanent",
      status: 301,
      gone: false,
    });
  });
});

describe("classifyError", () => {
  it.each<DeliveryErrorKind>([
    "timeout",
    "connect-timeout",
    "connection-refused",
    "connection-reset",
    "dns",
    "tls",
    "network",
  ])("treats %s as retryable", (error) => {
    expect(classifyError(error)).toEqual({ kind: "retryable", error });
  });

  it("treats a blocked target as permanent without disabling the webhook", () => {
    expect(classifyError("blocked-target")).toEqual({
      kind: "permanent",
      error: "blocked-target",
      gone: false,
    });
  });
});

describe("parseRetryAfter", () => {
  it.each<[string, number | undefined]>([
    ["0", 0],
    ["5", 5_000],
    [" 7 ", 7_000],
    ["3600", 3_600_000],
    ["-5", 0],
    ["Wed, 25 Nov 2026 10:01:00 GMT", 60_000], // IMF-fixdate
    ["Wed, 25 Nov 2026 09:00:00 GMT", 0], // in the past
    ["Wednesday, 25-Nov-26 10:00:10 GMT", 10_000], // RFC 850
    ["Wed Nov 25 10:00:02 2026", 2_000], // asctime, read as UTC
    ["Wed Nov  5 10:00:00 2026", 0],
    ["", undefined],
    ["soon", undefined],
    ["1.5", undefined],
    ["5s", undefined],
    ["0x10", undefined],
    ["Wed, 31 Feb 2026 10:00:00 GMT", undefined],
    ["Wed, 25 Foo 2026 10:00:00 GMT", undefined],
    ["Wed, 25 Nov 2026 25:00:00 GMT", undefined],
    ["2026-11-25T10:01:00Z", undefined], // ISO is not an HTTP-date
    ["Wed, 25 Nov 2026 10:01:00 +0100", undefined],
  ])("parses %j as %p", (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it("never returns a negative or non-finite delay (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.date({ noInvalidDate: true }), (value, now) => {
        const ms = parseRetryAfter(value, now);
        if (ms !== undefined) {
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(Number.isFinite(ms)).toBe(true);
        }
      }),
    );
  });
});
