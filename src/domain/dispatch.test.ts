import * as fc from "fast-check";

import { type Delivery } from "./deliveryPlan";
import {
  chunk,
  type DeliveryReport,
  foldRound,
  type PendingDelivery,
  restOf,
  seededRandom,
} from "./dispatch";

const delivery = (id: string): Delivery => ({
  id,
  eventId: "e",
  webhookId: "w",
  message: { name: "ping", payload: {} },
});
const pending = (id: string, attempts = 0): PendingDelivery => ({ delivery: delivery(id), attempts });
const at = "2026-01-01T00:00:00.000Z";

describe("foldRound", () => {
  it("sorts a round's reports into delivered, dropped, dead letters and retries", () => {
    const result = foldRound(
      [pending("a"), pending("b"), pending("c"), pending("d"), pending("e"), pending("f")],
      [
        { deliveryId: "a", at, outcome: { kind: "delivered", status: 200 } },
        { deliveryId: "b", at, outcome: { kind: "retryable", status: 503, retryAfterMs: 4000 } },
        { deliveryId: "c", at, outcome: { kind: "permanent", status: 404, gone: false } },
        { deliveryId: "d", at, outcome: { kind: "permanent", status: 410, gone: true } },
        { deliveryId: "e", at, skipped: "webhook deleted" },
        // f: no report (its chunk's activity failed)
      ],
    );
    expect(result.delivered).toBe(1);
    expect(result.dropped).toBe(1);
    expect(result.retry.map((p) => [p.delivery.id, p.attempts])).toEqual([
      ["b", 1],
      ["f", 0],
    ]);
    expect(result.deadLetter.map((d) => [d.pending.delivery.id, d.reason])).toEqual([
      ["c", "permanent failure"],
      ["d", "receiver answered 410 Gone"],
    ]);
    expect(result.retryAfterMs).toBe(4000);
    expect(result.retry[0]?.firstAttemptAt).toBe(at);
  });

  it("accounts for every pending delivery exactly once (property)", () => {
    const outcome = fc.oneof(
      fc.constant({ kind: "delivered" as const, status: 200 }),
      fc.constant({ kind: "retryable" as const, status: 503 }),
      fc.constant({ kind: "permanent" as const, status: 400, gone: false }),
    );
    fc.assert(
      fc.property(fc.array(fc.option(outcome), { maxLength: 30 }), (outcomes) => {
        const all = outcomes.map((_, i) => pending(`d${i}`));
        const reports = outcomes.flatMap((o, i) =>
          o === null ? [] : [{ deliveryId: `d${i}`, at, outcome: o }],
        );
        const r = foldRound(all, reports);
        expect(r.delivered + r.dropped + r.retry.length + r.deadLetter.length).toBe(all.length);
      }),
    );
  });
});

describe("restOf (what an ingest's first round leaves)", () => {
  it("keeps failed, held and unreported deliveries with their reports, and counts the settled ones", () => {
    const reports: DeliveryReport[] = [
      { deliveryId: "ok", at, outcome: { kind: "delivered", status: 200 } },
      { deliveryId: "gone", at, skipped: "webhook deleted" },
      { deliveryId: "done", at, settled: true },
      { deliveryId: "busy", at, outcome: { kind: "retryable", status: 503 } },
      { deliveryId: "bad", at, outcome: { kind: "permanent", status: 400, gone: false } },
      { deliveryId: "held", at, held: true, behind: "flowing" },
    ];
    const all = ["ok", "gone", "done", "busy", "bad", "held", "lost"].map(delivery);
    const rest = restOf(all, reports);
    expect(rest?.deliveries.map((x) => x.id)).toEqual(["busy", "bad", "held", "lost"]);
    expect(rest?.reports.map((r) => r.deliveryId)).toEqual(["busy", "bad", "held"]);
    expect(rest?.counted).toEqual({ planned: 7, delivered: 2, dropped: 1 });
  });
  it("leaves nothing when every delivery settled", () => {
    expect(
      restOf([delivery("ok")], [{ deliveryId: "ok", at, outcome: { kind: "delivered", status: 200 } }]),
    ).toBeUndefined();
  });
});

describe("chunk and seededRandom", () => {
  it("chunks in order", () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 50)).toEqual([]);
  });

  it("gives the same sequence for the same seed, in [0, 1)", () => {
    const a = seededRandom("instance:1");
    const b = seededRandom("instance:1");
    const xs = Array.from({ length: 100 }, () => a());
    expect(xs).toEqual(Array.from({ length: 100 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom("instance:2")()).not.toBe(xs[0]);
  });
});
