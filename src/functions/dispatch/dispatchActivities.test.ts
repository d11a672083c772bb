import { Webhook as Verifier } from "standardwebhooks";

import { startServer, type TestServer } from "../../adapters/delivery/testServers";
import { makeWebhookSender, type WebhookSender } from "../../adapters/delivery/webhookSender";
import { withReadThroughCache } from "../../adapters/tables/cachedWebhookStore";
import { makeTableDeadLetterStore } from "../../adapters/tables/deadLetters";
import { makeTableDeliveryLog } from "../../adapters/tables/deliveryLog";
import { makeTableWebhookStore } from "../../adapters/tables/webhookStore";
import { planDeliveries } from "../../domain/deliveryPlan";
import { type DeliveryReport, type PendingDelivery, readDeliverInput } from "../../domain/dispatch";
import { testSecretCipher } from "../../test-support/secrets";
import { freshTableName, tableClient } from "../../test-support/storage";
import { makeDeadLetterActivity, makeDeliverActivity, makePlanActivity } from "./dispatchActivities";

const SECRET = `whsec_${Buffer.from("a-test-secret-of-32-bytes-long!!").toString("base64")}`;
const clock = { now: () => new Date() };

const setup = async (respond: (attempt: number) => number) => {
  let attempt = 0;
  const server: TestServer = await startServer((_request, response) => {
    response.writeHead(respond(++attempt)).end();
  });
  const store = withReadThroughCache(
    makeTableWebhookStore(tableClient(freshTableName("Wh")), clock, testSecretCipher()),
    30_000,
    clock,
  );
  const log = makeTableDeliveryLog(tableClient(freshTableName("Log")));
  const deadLetters = makeTableDeadLetterStore(tableClient(freshTableName("Dead")));
  const sender: WebhookSender = makeWebhookSender({
    connectTimeoutMs: 1000,
    timeoutMs: 2000,
    allowPrivateTargets: true,
    userAgent: "test",
  });
  await store.create(
    "wh1",
    {
      url: `${server.url}/hook`,
      subscriptions: ["ping"],
      attributes: { name: "wh1" },
      headers: { "x-token": "t" },
      disabled: false,
    },
    SECRET,
  );
  const deliver = makeDeliverActivity({ webhooks: store, sender, log, clock });
  const pending = async (): Promise<PendingDelivery[]> =>
    (
      await makePlanActivity({ webhooks: store })({
        events: [{ eventId: "0:1", event: { name: "ping:all" } }],
      })
    ).deliveries.map((delivery) => ({ delivery, attempts: 0 }));
  return {
    server,
    store,
    log,
    deadLetters,
    deliver,
    pending,
    close: async () => {
      await sender.close();
      await server.close();
    },
  };
};

const outcomeOf = (report: DeliveryReport | undefined) =>
  report !== undefined && "outcome" in report ? report.outcome : report;

describe("deliver activity (real receiver, real store on Azurite)", () => {
  it("delivers a signed POST a receiver can verify, and logs the attempt", async () => {
    const s = await setup(() => 204);
    try {
      const [report] = await s.deliver(await s.pending());
      expect(outcomeOf(report)).toEqual({ kind: "delivered", status: 204 });
      const [request] = s.server.requests;
      expect(request?.body).toBe(JSON.stringify({ name: "ping", payload: {} }));
      expect(request?.headers["x-token"]).toBe("t");
      expect(() => new Verifier(SECRET).verify(request!.body, request!.headers)).not.toThrow();
      const [logged] = await s.log.list("wh1", 10);
      expect(logged).toMatchObject({ attempt: 1, outcome: "delivered", status: 204, eventName: "ping" });
    } finally {
      await s.close();
    }
  });

  it("reports a 503 as retryable, and a retry carries the same webhook-id", async () => {
    const s = await setup((n) => (n === 1 ? 503 : 200));
    try {
      const pending = await s.pending();
      expect(outcomeOf((await s.deliver(pending))[0])).toMatchObject({ kind: "retryable", status: 503 });
      expect(outcomeOf((await s.deliver(pending.map((p) => ({ ...p, attempts: 1 }))))[0])).toMatchObject({
        kind: "delivered",
      });
      const ids = s.server.requests.map((r) => r.headers["webhook-id"]);
      expect(ids).toHaveLength(2);
      expect(new Set(ids).size).toBe(1);
      expect((await s.log.list("wh1", 10)).map((a) => a.attempt)).toEqual([2, 1]);
    } finally {
      await s.close();
    }
  });

  it("disables the webhook, with the reason recorded, when its receiver answers 410 Gone", async () => {
    const s = await setup(() => 410);
    try {
      expect(outcomeOf((await s.deliver(await s.pending()))[0])).toMatchObject({
        kind: "permanent",
        gone: true,
      });
      const stored = await s.store.get("wh1");
      expect(stored?.webhook.disabled).toBe(true);
      expect(stored?.webhook.disabledReason).toMatch(/410 Gone/);
    } finally {
      await s.close();
    }
  });

  it("skips deliveries whose webhook was deleted or disabled after planning, sending nothing", async () => {
    const s = await setup(() => 200);
    try {
      const pending = await s.pending();
      await s.store.disable("wh1", "operator");
      expect((await s.deliver(pending))[0]).toMatchObject({ skipped: "webhook disabled" });
      await s.store.remove("wh1");
      expect((await s.deliver(pending))[0]).toMatchObject({ skipped: "webhook deleted" });
      expect(s.server.requests).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it("logs why a target was refused, and a dead letter keeps it as the last error", async () => {
    const s = await setup(() => 200);
    const guarded = makeWebhookSender({
      connectTimeoutMs: 1000,
      timeoutMs: 2000,
      allowPrivateTargets: false,
      userAgent: "test",
    });
    try {
      const deliver = makeDeliverActivity({ webhooks: s.store, sender: guarded, log: s.log, clock });
      const [p] = await s.pending();
      const [report] = await deliver([p!]);
      expect(outcomeOf(report)).toMatchObject({ kind: "permanent", error: "blocked-target" });
      const [logged] = await s.log.list("wh1", 10);
      expect(logged?.error).toBe("blocked-target: loopback: 127.0.0.1");
      expect(s.server.requests).toHaveLength(0);
      const dead = makeDeadLetterActivity({ webhooks: s.store, deadLetters: s.deadLetters, clock });
      const last = report !== undefined && "outcome" in report ? report.outcome : undefined;
      await dead([
        {
          pending: { ...p!, attempts: 1, ...(last === undefined ? {} : { last }) },
          reason: "permanent failure",
        },
      ]);
      const [letter] = await s.deadLetters.list({ limit: 10 });
      expect(letter?.lastError).toBe("blocked-target: loopback: 127.0.0.1");
    } finally {
      await guarded.close();
      await s.close();
    }
  });

  it("dead-letters the full request without signatures", async () => {
    const s = await setup(() => 500);
    try {
      const [p] = await s.pending();
      const dead = makeDeadLetterActivity({ webhooks: s.store, deadLetters: s.deadLetters, clock });
      await dead([
        {
          pending: {
            ...p!,
            attempts: 8,
            firstAttemptAt: "2026-01-01T00:00:00.000Z",
            last: { kind: "retryable", status: 500 },
          },
          reason: "retries exhausted",
        },
      ]);
      const [letter] = await s.deadLetters.list({ webhookId: "wh1" });
      expect(letter).toMatchObject({
        deliveryId: p!.delivery.id,
        url: `${s.server.url}/hook`,
        body: JSON.stringify({ name: "ping", payload: {} }),
        headers: { "x-token": "t" },
        attempts: 8,
        lastStatus: 500,
        reason: "retries exhausted",
      });
      expect(JSON.stringify(letter)).not.toContain("v1,");
    } finally {
      await s.close();
    }
  });
});

describe("plan activity", () => {
  it("plans from the cached webhooks with deterministic ids", async () => {
    const s = await setup(() => 200);
    try {
      const plan = makePlanActivity({ webhooks: s.store });
      const input = { events: [{ eventId: "0:1", event: { name: "ping:all" as const } }] };
      const first = await plan(input);
      expect(first).toEqual(await plan(input));
      expect(first).toEqual({
        deliveries: planDeliveries("0:1", { name: "ping:all" }, [(await s.store.get("wh1"))!.webhook]),
      });
      expect(s.server.requests).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it("delivers a plan of at most deliverUpTo deliveries itself and reports them (the first round)", async () => {
    const s = await setup(() => 200);
    try {
      const plan = makePlanActivity({ webhooks: s.store, deliver: s.deliver });
      const events = [{ eventId: "0:1", event: { name: "ping:all" as const } }];
      const result = await plan({ events, deliverUpTo: 1 });
      expect(result.deliveries).toHaveLength(1);
      expect(result.reports).toEqual([
        expect.objectContaining({
          deliveryId: result.deliveries[0]?.id,
          outcome: expect.objectContaining({ kind: "delivered" }),
        }),
      ]);
      expect(s.server.requests).toHaveLength(1);
      expect(s.server.requests[0]?.headers["webhook-id"]).toBe(result.deliveries[0]?.id);
    } finally {
      await s.close();
    }
  });

  it("delivers a bigger first round in chunks of chunkSize at once, every delivery reported once", async () => {
    const s = await setup(() => 200);
    try {
      const chunks: number[] = [];
      const plan = makePlanActivity({
        webhooks: s.store,
        deliver: (input) => {
          chunks.push(readDeliverInput(input).deliveries.length);
          return s.deliver(input);
        },
      });
      const events = ["0:1", "0:2", "0:3", "0:4", "0:5"].map((eventId) => ({
        eventId,
        event: { name: "ping:all" as const },
      }));
      const result = await plan({ events, deliverUpTo: 5, chunkSize: 2 });
      expect(chunks).toEqual([2, 2, 1]);
      expect(result.reports?.map((r) => r.deliveryId).sort()).toEqual(
        result.deliveries.map((d) => d.id).sort(),
      );
      expect(new Set(s.server.requests.map((r) => r.headers["webhook-id"])).size).toBe(5);
    } finally {
      await s.close();
    }
  });

  it("only plans when the plan is larger than deliverUpTo or no limit is asked for", async () => {
    const s = await setup(() => 200);
    try {
      const plan = makePlanActivity({ webhooks: s.store, deliver: s.deliver });
      const events = [
        { eventId: "0:1", event: { name: "ping:all" as const } },
        { eventId: "0:2", event: { name: "ping:all" as const } },
      ];
      expect((await plan({ events, deliverUpTo: 1 })).reports).toBeUndefined();
      expect((await plan({ events })).reports).toBeUndefined();
      expect(s.server.requests).toHaveLength(0);
    } finally {
      await s.close();
    }
  });
});
