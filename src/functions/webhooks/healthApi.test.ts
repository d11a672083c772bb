import { makeTableSubjectStreams } from "../../adapters/tables/subjectStreams";
import { makeTableWebhookHealth } from "../../adapters/tables/webhookHealth";
import { makeTableWebhookStore } from "../../adapters/tables/webhookStore";
import { blockedHostLiteralReason } from "../../domain/addressPolicy";
import { DAY_MS } from "../../domain/health";
import { bodyOf, httpRequest } from "../../test-support/http";
import { testSecretCipher } from "../../test-support/secrets";
import { freshTableName, tableClient } from "../../test-support/storage";
import { makeWebhooksApi } from "./webhooksApi";

const T0 = Date.parse("2026-03-01T12:00:00Z");

const setup = async () => {
  const clock = { now: () => new Date(T0) };
  const store = makeTableWebhookStore(tableClient(freshTableName("Wh")), clock, testSecretCipher());
  const health = makeTableWebhookHealth(tableClient(freshTableName("Health")), clock);
  const streams = makeTableSubjectStreams(tableClient(freshTableName("Streams")));
  let ids = 0;
  const api = makeWebhooksApi({
    store,
    policy: () => ({ allowInsecure: false, blockedHostReason: blockedHostLiteralReason }),
    clock,
    newId: () => `wh_${++ids}`,
    newSecret: () => `whsec_${Buffer.from("a-test-secret-of-32-bytes-long!!").toString("base64")}`,
    rotationGraceMs: () => 0,
    health,
    autoDisableAfterMs: () => 5 * DAY_MS,
    streams,
  });
  await api.create(
    httpRequest({
      method: "POST",
      path: "/api/webhooks",
      body: { url: "https://receiver.example/hook", subscriptions: ["ping"], attributes: { name: "n" } },
    }),
  );
  const at = (minutesAgo: number) => new Date(T0 - minutesAgo * 60_000).toISOString();
  await health.record([
    { webhookId: "wh_1", at: at(120), outcome: "delivered", status: 204 },
    { webhookId: "wh_1", at: at(30), outcome: "retryable", status: 503 },
    { webhookId: "wh_1", at: at(10), outcome: "retryable", error: "timeout" },
  ]);
  return { api, at, streams };
};

describe("admin API: endpoint health", () => {
  it("GET /api/webhooks/{id}/health: state, counts, last success and failure, streak, auto-disable time", async () => {
    const { api, at } = await setup();
    const response = await api.health(
      httpRequest({ method: "GET", path: "/api/webhooks/wh_1/health", params: { id: "wh_1" } }),
    );
    expect(response.status).toBe(200);
    expect(bodyOf(response)).toEqual({
      webhookId: "wh_1",
      state: "active",
      lastHour: { deliveries: 2, failures: 2, successRate: 0 },
      last24Hours: { deliveries: 3, failures: 2, successRate: 0.3333 },
      consecutiveFailures: 2,
      lastSuccess: { at: at(120), status: 204 },
      lastFailure: { at: at(10), error: "timeout" },
      failingSince: at(30),
      // a full window after it became active (created at T0, after this fixture's streak began)
      autoDisableAt: new Date(T0 + 5 * DAY_MS).toISOString(),
      updatedAt: new Date(T0).toISOString(),
    });
    const missing = await api.health(
      httpRequest({ method: "GET", path: "/api/webhooks/x/health", params: { id: "x" } }),
    );
    expect(missing.status).toBe(404);
  });

  it("GET /api/webhooks?include=health adds the summary to each item; other includes are a 400", async () => {
    const { api } = await setup();
    const plain = bodyOf(await api.list(httpRequest({ method: "GET", path: "/api/webhooks" })));
    expect(plain.items[0].health).toBeUndefined();
    const withHealth = bodyOf(
      await api.list(httpRequest({ method: "GET", path: "/api/webhooks", query: { include: "health" } })),
    );
    expect(withHealth.items[0].health).toMatchObject({ webhookId: "wh_1", consecutiveFailures: 2 });
    const bad = await api.list(
      httpRequest({ method: "GET", path: "/api/webhooks", query: { include: "x" } }),
    );
    expect(bad.status).toBe(400);
    expect(bodyOf(bad).errors).toEqual([{ path: "?include", message: "must be health" }]);
  });

  it("GET /api/webhooks/{id}/health of a per-subject webhook counts its held subjects, waiting and blocked", async () => {
    const { api, streams } = await setup();
    const created = await api.create(
      httpRequest({
        method: "POST",
        path: "/api/webhooks",
        body: {
          url: "https://receiver.example/ordered",
          subscriptions: ["service:subscribed"],
          attributes: { serviceId: "s1" },
          ordering: "per-subject",
          orderingOnFailure: "block",
        },
      }),
    );
    const id = bodyOf(created).id as string;
    const healthOf = async (webhookId: string) =>
      bodyOf(
        await api.health(
          httpRequest({
            method: "GET",
            path: `/api/webhooks/${webhookId}/health`,
            params: { id: webhookId },
          }),
        ),
      );
    expect((await healthOf(id)).heldSubjects).toEqual({ waiting: 0, blocked: 0 });
    const at = new Date(T0).toISOString();
    await streams.apply([
      { webhookId: id, subjectId: "A", event: { kind: "failed", n: 1, deliveryId: "a1", attempts: 1, at } },
      { webhookId: id, subjectId: "B", event: { kind: "failed", n: 1, deliveryId: "b1", attempts: 1, at } },
      {
        webhookId: id,
        subjectId: "C",
        event: { kind: "dead-lettered", n: 1, deliveryId: "c1", at, block: true, attempts: 3 },
      },
      { webhookId: id, subjectId: "D", event: { kind: "delivered", n: 1, deliveryId: "d1" } },
    ]);
    expect((await healthOf(id)).heldSubjects).toEqual({ waiting: 2, blocked: 1 });
    // An unordered webhook has no subjects to hold: no count at all.
    expect((await healthOf("wh_1")).heldSubjects).toBeUndefined();
  });
});
