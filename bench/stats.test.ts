import { DeliveryTracker } from "./deliveryTracker";
import { quantile, summarize } from "./stats";
import { expectedDeliveryIds, fiscalCodeFor, mirrorWebhook, mixedEvent, webhookSpecs } from "./workload";

describe("stats", () => {
  it("takes nearest-rank quantiles", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([quantile(sorted, 0.5), quantile(sorted, 0.95), quantile(sorted, 0.99)]).toEqual([50, 95, 99]);
    expect(summarize([3, 1, 2])).toMatchObject({ count: 3, p50: 2, max: 3 });
    expect(summarize([]).count).toBe(0);
  });
});

describe("delivery tracker", () => {
  it("turns receipts into latencies once per webhook-id and counts the rest as extra", () => {
    const tracker = new DeliveryTracker();
    tracker.expect(["a", "b"], 100);
    tracker.receive("a", 130);
    tracker.receive("a", 140);
    tracker.receive("zzz", 150);
    expect(tracker.complete()).toBe(false);
    tracker.receive("b", 160);
    expect(tracker.counts()).toEqual({ expected: 2, received: 2, extra: 2 });
    expect(tracker.latencyMs()).toEqual([30, 60]);
    expect(tracker.complete()).toBe(true);
  });
});

describe("workload", () => {
  const specs = webhookSpecs(3);
  const webhooks = specs.map((s, i) => mirrorWebhook(`id-${i}`, `http://127.0.0.1/${i}`, s));

  it("makes valid fiscal codes and expects W deliveries for fan-out events, one for service:subscribed", () => {
    expect(fiscalCodeFor(1234567)).toMatch(/^[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]$/);
    const counts = Array.from(
      { length: 10 },
      (_, i) => expectedDeliveryIds(`m-${i}`, mixedEvent(i, specs), webhooks).length,
    );
    expect(counts.sort()).toEqual([1, 1, 1, 1, 1, 1, 3, 3, 3, 3]);
  });

  it("expects the same webhook-ids for the same message id", () => {
    expect(expectedDeliveryIds("m-3", mixedEvent(3, specs), webhooks)).toEqual(
      expectedDeliveryIds("m-3", mixedEvent(3, specs), webhooks),
    );
  });
});
