import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "../agent/otlpReceiver";
import { startReceiver, type WebhookReceiver } from "../agent/receiver";
import { always, failing } from "../agent/responses";
import { waitFor } from "../agent/waitFor";
import { publishMany } from "./support/bulkPublish";
import { type FaultStack, startFaultStack } from "./support/faultStack";

// Telemetry of a real run through the local runtime, exported over OTLP/HTTP JSON to a receiver of our own
// (agent/otlpReceiver.ts). One batch of five events: a ping each to a receiver that answers 200, one that answers
// 503 then 200, one that always answers 500 (three attempts with RETRY_SCHEDULE=0,200ms,200ms, then a dead
// letter); a service:subscribed with a fiscal code; and a body that is not JSON (rejected). Lives in the faults
// suite because it starts a runtime of its own, with the telemetry settings.

const FISCAL_CODE = "RSSMRA80A01H501U";
const PAYLOAD_MARKER = "payload-value-never-in-telemetry";

describe("OpenTelemetry over OTLP/HTTP: one batch's trace tree and the delivery metrics", () => {
  let otlp: OtlpReceiver;
  let stack: FaultStack | undefined;
  const receivers: Record<"ok" | "flaky" | "down" | "subscribed", WebhookReceiver | undefined> = {
    ok: undefined,
    flaky: undefined,
    down: undefined,
    subscribed: undefined,
  };
  const webhookIds: Record<string, string> = {};

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    stack = await startFaultStack({
      env: {
        RETRY_SCHEDULE: "0,200ms,200ms",
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_METRIC_EXPORT_INTERVAL: "300",
        OTEL_BSP_SCHEDULE_DELAY: "100",
        OTEL_SERVICE_NAME: "dispatcher-under-test",
      },
    });
    const responders = { ok: always(200), flaky: failing([503]), down: always(500), subscribed: always(200) };
    for (const name of ["ok", "flaky", "down", "subscribed"] as const) {
      const receiver = await startReceiver({
        name,
        bindHost: "127.0.0.1",
        advertisedHost: "127.0.0.1",
        responder: responders[name],
      });
      receivers[name] = receiver;
      const webhook = await stack.admin.register(
        name === "subscribed"
          ? {
              url: receiver.url,
              subscriptions: ["service:subscribed"],
              attributes: { serviceId: "svc-otel" },
            }
          : { url: receiver.url, subscriptions: ["ping"], attributes: { name } },
      );
      receiver.useSecrets(webhook.secret);
      webhookIds[name] = webhook.id;
    }
    await publishMany(stack.runtime.info, [
      { name: "ping", payload: { name: "ok" } },
      { name: "ping", payload: { name: "flaky" } },
      { name: "ping", payload: { name: "down" } },
      { name: "service:subscribed", payload: { serviceId: "svc-otel", fiscalCode: FISCAL_CODE } },
      Buffer.from(`{"name": "ping", "payload": "${PAYLOAD_MARKER}"`),
    ]);
    await waitFor(
      () =>
        receivers.ok!.delivered() === 1 &&
        receivers.flaky!.delivered() === 1 &&
        receivers.subscribed!.delivered() === 1 &&
        receivers.down!.requests.length === 3,
      { timeoutMs: 30_000, what: "the deliveries" },
    );
    // The orchestration's span is exported when it ends (after the dead letter).
    await waitFor(() => otlp.spans.some((s) => s.name.startsWith("dispatcher.orchestration")), {
      timeoutMs: 30_000,
      what: "the orchestration's span",
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await Promise.all(Object.values(receivers).flatMap((r) => (r === undefined ? [] : [r.close()])));
    await otlp?.close();
  });

  const byId = (): Map<string, ReceivedSpan> => new Map(otlp.spans.map((s) => [s.spanId, s]));
  const named = (prefix: string): ReceivedSpan[] => otlp.spans.filter((s) => s.name.startsWith(prefix));

  it("sends OTLP/HTTP JSON to /v1/traces, /v1/metrics and /v1/logs", async () => {
    await waitFor(() => otlp.logs.length > 0 && otlp.points.length > 0, { what: "logs and metrics" });
    for (const path of ["/v1/traces", "/v1/metrics", "/v1/logs"])
      expect([...(otlp.contentTypes.get(path) ?? [])]).toEqual(["application/json"]);
  });

  it("links ingest -> first attempts, and ingest -> orchestration -> deliver/dead-letter activities -> retries, to POSTs in one trace", async () => {
    // The last spans (the dead-letter activity's, the last POST) may still be in the batch: wait for all seven.
    await waitFor(
      () => named("dispatcher.delivery").length === 7 && named("dispatcher.activity").length >= 3,
      {
        what: "seven delivery spans and the activities' spans",
      },
    );
    const spans = byId();
    // The Event Hubs host may hand the five events over in more than one batch; the four valid ones went into the
    // batch whose ingest made their first attempts and started the orchestration for the two that failed.
    const ingests = named("dispatcher.ingest");
    expect(ingests.reduce((n, s) => n + Number(s.attributes["messaging.batch.message_count"]), 0)).toBe(5);
    const orchestrations = named("dispatcher.orchestration");
    // Exported once, whatever the number of replays (two timers, two deliver rounds, the dead letter). Its summary
    // counts the two deliveries the ingest's first round settled.
    expect(orchestrations).toHaveLength(1);
    const orchestration = orchestrations[0]!;
    const ingest = ingests.find((s) => s.spanId === orchestration.parentSpanId);
    expect(ingest).toBeDefined();
    // Its parent is the invocation's trace context the (local) host handed over: a span the host does not export.
    for (const span of ingests) {
      expect(span.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
      expect(spans.has(span.parentSpanId)).toBe(false);
    }
    expect(orchestration.traceId).toBe(ingest!.traceId);
    expect(orchestration.attributes).toMatchObject({
      "dispatcher.orchestration.planned": 4,
      "dispatcher.orchestration.delivered": 3,
      "dispatcher.orchestration.deadLettered": 1,
    });
    expect(orchestration.startNanos).toBeLessThanOrEqual(orchestration.endNanos);

    const activities = named("dispatcher.activity");
    // No plan activity: the ingest planned the batch.
    expect(activities.map((a) => a.name).sort()).toEqual([
      "dispatcher.activity dispatch-dead-letter",
      "dispatcher.activity dispatch-deliver",
      "dispatcher.activity dispatch-deliver",
    ]);
    for (const activity of activities) {
      expect(activity.parentSpanId).toBe(orchestration.spanId);
      expect(activity.traceId).toBe(orchestration.traceId);
    }

    const deliveries = named("dispatcher.delivery");
    const activityIds = new Set(activities.map((a) => a.spanId));
    // The first round is delivered by the ingest itself (INGEST_FIRST_ROUND), the retries by deliver activities.
    const first = deliveries.filter((d) => d.parentSpanId === ingest!.spanId);
    expect(first).toHaveLength(4);
    expect(first.every((d) => d.attributes["dispatcher.delivery.attempt"] === 1)).toBe(true);
    const retried = deliveries.filter((d) => d.parentSpanId !== ingest!.spanId);
    expect(retried).toHaveLength(3);
    for (const delivery of retried) expect(activityIds.has(delivery.parentSpanId)).toBe(true);

    const attemptsOf = (name: string): Array<[unknown, unknown]> =>
      deliveries
        .filter((d) => d.attributes["dispatcher.webhook.id"] === webhookIds[name])
        .sort(
          (a, b) =>
            Number(a.attributes["dispatcher.delivery.attempt"]) -
            Number(b.attributes["dispatcher.delivery.attempt"]),
        )
        .map((d) => [d.attributes["dispatcher.delivery.attempt"], d.attributes["http.response.status_code"]]);
    expect(attemptsOf("ok")).toEqual([[1, 200]]);
    expect(attemptsOf("flaky")).toEqual([
      [1, 503],
      [2, 200],
    ]);
    expect(attemptsOf("down")).toEqual([
      [1, 500],
      [2, 500],
      [3, 500],
    ]);
    expect(attemptsOf("subscribed")).toEqual([[1, 200]]);
    for (const delivery of deliveries) {
      expect(delivery.attributes["dispatcher.event.name"]).toMatch(/^(ping|service:subscribed)$/);
      // Delivered attempts say how long after its enqueuing the event arrived.
      if (delivery.attributes["http.response.status_code"] === 200)
        expect(delivery.attributes["dispatcher.event.age_ms"]).toEqual(expect.any(Number));
      else expect(delivery.attributes["dispatcher.event.age_ms"]).toBeUndefined();
      // The delivery id is the webhook-id the receiver saw.
      const receiverIds = Object.values(receivers).flatMap((r) => r!.requests.map((q) => q.webhookId));
      expect(receiverIds).toContain(delivery.attributes["dispatcher.delivery.id"]);
    }

    // Each delivery span has exactly one child: undici's POST to the receiver, with the status it got.
    const posts = otlp.spans.filter(
      (s) => s.name === "POST" && spans.get(s.parentSpanId)?.name === "dispatcher.delivery",
    );
    expect(posts).toHaveLength(7);
    expect(new Set(posts.map((p) => p.parentSpanId)).size).toBe(7);
    for (const post of posts) {
      const parent = spans.get(post.parentSpanId)!;
      expect(post.attributes["http.response.status_code"]).toBe(
        parent.attributes["http.response.status_code"],
      );
      expect(String(post.attributes["url.full"])).toMatch(
        /^http:\/\/127\.0\.0\.1:\d+\/hooks\/(ok|flaky|down|subscribed)$/,
      );
      expect(post.traceId).toBe(ingest!.traceId);
    }
  });

  const total = (metric: string, filter: Record<string, unknown> = {}): number =>
    otlp
      .latest(metric)
      .filter((p) => Object.entries(filter).every(([k, v]) => p.attributes[k] === v))
      .reduce((sum, p) => sum + p.value, 0);

  it("counts deliveries by outcome, status class and webhook; retries, dead letters, rejections, ingest", async () => {
    await waitFor(() => total("dispatcher.deliveries") === 7 && total("dispatcher.dead_letters") === 1, {
      what: "seven counted deliveries and one dead letter",
    });
    expect(total("dispatcher.deliveries", { "dispatcher.delivery.outcome": "delivered" })).toBe(3);
    expect(total("dispatcher.deliveries", { "dispatcher.delivery.outcome": "retryable" })).toBe(4);
    expect(total("dispatcher.deliveries", { "http.response.status_class": "2xx" })).toBe(3);
    expect(total("dispatcher.deliveries", { "http.response.status_class": "5xx" })).toBe(4);
    expect(total("dispatcher.deliveries", { "dispatcher.webhook.id": webhookIds.down })).toBe(3);
    expect(total("dispatcher.deliveries", { "dispatcher.webhook.id": webhookIds.flaky })).toBe(2);
    // Round 1 retries flaky and down, round 2 down again.
    expect(total("dispatcher.delivery.retries")).toBe(3);
    expect(otlp.latest("dispatcher.dead_letters").map((p) => p.attributes)).toEqual([
      { "dispatcher.dead_letter.reason": "retries exhausted", "dispatcher.webhook.id": webhookIds.down },
    ]);
    expect(otlp.latest("dispatcher.events.rejected").map((p) => [p.attributes, p.value])).toEqual([
      [{ "dispatcher.rejection.reason": "invalid_json" }, 1],
    ]);
    const ingested = otlp.latest("dispatcher.events.ingested");
    expect(ingested).toHaveLength(1);
    expect(ingested[0]).toMatchObject({ value: 5 });
    expect(ingested[0]!.attributes["messaging.destination.partition.id"]).toMatch(/^\d+$/);
  });

  it("records delivery durations and enqueued-to-delivered latencies, and consecutive failures per webhook", async () => {
    const histogramCount = (metric: string): number =>
      otlp.latest(metric).reduce((sum, p) => sum + (p.count ?? 0), 0);
    await waitFor(() => histogramCount("dispatcher.delivery.duration") === 7, { what: "seven durations" });
    expect(otlp.latest("dispatcher.delivery.duration").every((p) => p.kind === "histogram")).toBe(true);
    // Only delivered attempts have an enqueued-to-delivered latency.
    expect(histogramCount("dispatcher.delivery.latency")).toBe(3);
    for (const point of otlp.latest("dispatcher.delivery.latency")) {
      expect(point.value).toBeGreaterThan(0);
      expect(point.value / point.count!).toBeLessThan(60);
    }
    const failures = Object.fromEntries(
      otlp
        .latest("dispatcher.webhook.consecutive_failures")
        .map((p) => [p.attributes["dispatcher.webhook.id"], p.value]),
    );
    expect(failures).toEqual({
      [webhookIds.ok!]: 0,
      [webhookIds.flaky!]: 0,
      [webhookIds.down!]: 3,
      [webhookIds.subscribed!]: 0,
    });
  });

  it("never exports payload values or fiscal codes, in spans, metrics or logs", async () => {
    await waitFor(() => otlp.logs.some((l) => /accepted/.test(l.body)), { what: "the ingest's log line" });
    expect(otlp.rawBodies.length).toBeGreaterThan(0);
    const everything = otlp.rawBodies.join("\n");
    expect(everything).not.toContain(FISCAL_CODE);
    expect(everything).not.toContain(PAYLOAD_MARKER);
    expect(everything).not.toContain("svc-otel");
    // The deliveries' bodies did carry them (so the check above is not vacuous).
    expect(receivers.subscribed!.requests[0]!.body).toContain(FISCAL_CODE);
  });
});
