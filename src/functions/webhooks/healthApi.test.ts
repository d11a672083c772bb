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
  const api = makeWebhooksApi({
    store,
    policy: () => ({ allowInsecure: false, blockedHostReason: blockedHostLiteralReason }),
    clock,
    newId: () => "wh_1",
    newSecret: () => `whsec_${Buffer.from("a-test-secret-of-32-bytes-long!!").toString("base64")}`,
    rotationGraceMs: () => 0,
    health,
    autoDisableAfterMs: () => 5 * DAY_MS,
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
  return { api, at };
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
});
