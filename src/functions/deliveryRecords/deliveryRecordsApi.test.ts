import { type DeadLetterStore, makeTableDeadLetterStore } from "../../adapters/tables/deadLetters";
import { makeTableDeliveryLog } from "../../adapters/tables/deliveryLog";
import { makeTableWebhookStore } from "../../adapters/tables/webhookStore";
import { type DispatchInput } from "../../domain/dispatch";
import { fakeStarter } from "../../test-support/fakeStarter";
import { bodyOf, httpRequest } from "../../test-support/http";
import { testSecretCipher } from "../../test-support/secrets";
import { freshTableName, tableClient } from "../../test-support/storage";
import { type OrchestrationStarter } from "../dispatch/orchestrationStarter";
import { type DeliveryRecordsDeps, makeDeliveryRecordsApi } from "./deliveryRecordsApi";

const clock = { now: () => new Date("2026-01-01T00:00:00Z") };
const letter = {
  deliveryId: "msg_dead",
  webhookId: "wh1",
  eventId: "0:1",
  url: "https://receiver.example/hook",
  body: JSON.stringify({ name: "ping", payload: {} }),
  headers: { authorization: "Bearer secret-token" },
  attempts: 8,
  lastStatus: 503,
  reason: "retries exhausted",
  firstAttemptAt: "2026-01-01T00:00:00.000Z",
  deadLetteredAt: "2026-01-01T03:00:00.000Z",
};

const replayRequest = (id: string) =>
  httpRequest({ method: "POST", path: `/api/dead-letters/${id}/replay`, params: { id } });

const setup = async () => {
  let n = 0;
  const webhooks = makeTableWebhookStore(tableClient(freshTableName("Wh")), clock, testSecretCipher());
  const deadLetters = makeTableDeadLetterStore(tableClient(freshTableName("Dead")));
  const log = makeTableDeliveryLog(tableClient(freshTableName("Log")));
  await webhooks.create(
    "wh1",
    {
      url: "https://receiver.example/hook",
      subscriptions: ["ping"],
      attributes: { name: "wh1" },
      headers: {},
      disabled: false,
    },
    "whsec_x",
  );
  const { starter, started } = fakeStarter();
  const apiWith = (overrides: Partial<DeliveryRecordsDeps> = {}) =>
    makeDeliveryRecordsApi({
      webhooks,
      deadLetters,
      log,
      settings: () => ({ chunkSize: 50, retrySchedule: [0] }),
      clock,
      newId: () => `id${++n}`,
      ...overrides,
    });
  return { api: apiWith(), apiWith, webhooks, deadLetters, log, starter, started };
};

describe("admin API: delivery records", () => {
  it("lists dead letters with header values masked, filtered by webhook", async () => {
    const s = await setup();
    await s.deadLetters.put([letter, { ...letter, deliveryId: "msg_other", webhookId: "wh2" }]);
    const response = await s.api.listDeadLetters(
      httpRequest({ method: "GET", path: "/api/dead-letters", query: { webhookId: "wh1" } }),
    );
    expect(response.status).toBe(200);
    expect(bodyOf(response).items).toEqual([{ ...letter, headers: { authorization: "***" } }]);
    const bad = await s.api.listDeadLetters(
      httpRequest({ method: "GET", path: "/api/dead-letters", query: { limit: "0" } }),
    );
    expect(bad.status).toBe(400);
  });

  it("replays a dead letter with the same delivery id and removes it", async () => {
    const s = await setup();
    await s.deadLetters.put([letter]);
    const response = await s.api.replayDeadLetter(
      httpRequest({ method: "POST", path: "/api/dead-letters/msg_dead/replay", params: { id: "msg_dead" } }),
      s.starter,
    );
    expect(response.status).toBe(202);
    expect(bodyOf(response).deliveryId).toBe("msg_dead");
    const input = [...s.started.values()][0]?.input as DispatchInput & { kind: "deliveries" };
    expect(input.reason).toBe("replay");
    expect(input.deliveries).toEqual([
      { id: "msg_dead", eventId: "0:1", webhookId: "wh1", message: { name: "ping", payload: {} } },
    ]);
    expect(await s.deadLetters.get("msg_dead")).toBeUndefined();
  });

  it("starts the replay while the dead letter is still stored, and removes it after", async () => {
    const s = await setup();
    await s.deadLetters.put([letter]);
    const seenAtStart: Array<unknown> = [];
    const starter: OrchestrationStarter = {
      startIfAbsent: async (name, instanceId, input) => {
        seenAtStart.push((await s.deadLetters.get("msg_dead"))?.letter);
        return s.starter.startIfAbsent(name, instanceId, input);
      },
    };
    expect((await s.api.replayDeadLetter(replayRequest("msg_dead"), starter)).status).toBe(202);
    expect(seenAtStart).toEqual([letter]);
    expect(await s.deadLetters.get("msg_dead")).toBeUndefined();
  });

  it("keeps the dead letter if the replay cannot start", async () => {
    const s = await setup();
    await s.deadLetters.put([letter]);
    const failing = { startIfAbsent: () => Promise.reject(new Error("durable client down")) };
    await expect(s.api.replayDeadLetter(replayRequest("msg_dead"), failing)).rejects.toThrow(
      "durable client down",
    );
    expect((await s.deadLetters.get("msg_dead"))?.letter).toEqual(letter);
  });

  it("after a failure between starting the replay and removing the dead letter, a repeat starts nothing new and removes it", async () => {
    const s = await setup();
    await s.deadLetters.put([letter]);
    let failRemoval = true;
    const crashing: DeadLetterStore = {
      ...s.deadLetters,
      remove: (id, ifMatch) =>
        failRemoval ? Promise.reject(new Error("storage gone")) : s.deadLetters.remove(id, ifMatch),
    };
    const api = s.apiWith({ deadLetters: crashing });
    await expect(api.replayDeadLetter(replayRequest("msg_dead"), s.starter)).rejects.toThrow("storage gone");
    expect((await s.deadLetters.get("msg_dead"))?.letter).toEqual(letter);
    expect(s.started.size).toBe(1);

    failRemoval = false;
    const repeat = await api.replayDeadLetter(replayRequest("msg_dead"), s.starter);
    expect(repeat.status).toBe(202);
    // The same instance: the fake starter, like the durable one, starts nothing for an id it has seen.
    expect(s.started.size).toBe(1);
    expect(bodyOf(repeat).instanceId).toBe([...s.started.keys()][0]);
    expect(await s.deadLetters.get("msg_dead")).toBeUndefined();
  });

  it("keeps a dead letter written again by the replay before the removal, and replays it as a new instance", async () => {
    const s = await setup();
    await s.deadLetters.put([letter]);
    const again = { ...letter, attempts: 9, deadLetteredAt: "2026-01-01T04:00:00.000Z" };
    // The replay fails at once and dead-letters the delivery anew before the request removes the row it read.
    const fastFailure: OrchestrationStarter = {
      startIfAbsent: async (name, instanceId, input) => {
        const result = await s.starter.startIfAbsent(name, instanceId, input);
        await s.deadLetters.put([again]);
        return result;
      },
    };
    const first = await s.api.replayDeadLetter(replayRequest("msg_dead"), fastFailure);
    expect(first.status).toBe(202);
    expect((await s.deadLetters.get("msg_dead"))?.letter).toEqual(again);

    const second = await s.api.replayDeadLetter(replayRequest("msg_dead"), s.starter);
    expect(second.status).toBe(202);
    expect(bodyOf(second).instanceId).not.toBe(bodyOf(first).instanceId);
    expect(s.started.size).toBe(2);
    expect(await s.deadLetters.get("msg_dead")).toBeUndefined();
  });

  it("refuses to replay to a deleted webhook (409) or an unknown dead letter (404)", async () => {
    const s = await setup();
    await s.deadLetters.put([{ ...letter, webhookId: "gone" }]);
    const replay = (id: string) =>
      s.api.replayDeadLetter(httpRequest({ method: "POST", path: "/x", params: { id } }), s.starter);
    expect((await replay("msg_dead")).status).toBe(409);
    expect((await replay("nope")).status).toBe(404);
    expect(s.started.size).toBe(0);
  });

  it("deletes dead letters: 204 then 404", async () => {
    const s = await setup();
    await s.deadLetters.put([letter]);
    const del = () =>
      s.api.deleteDeadLetter(httpRequest({ method: "DELETE", path: "/x", params: { id: "msg_dead" } }));
    expect((await del()).status).toBe(204);
    expect((await del()).status).toBe(404);
  });

  it("pings a webhook through the pipeline: 202 with the delivery id", async () => {
    const s = await setup();
    const response = await s.api.ping(
      httpRequest({ method: "POST", path: "/x", params: { id: "wh1" } }),
      s.starter,
    );
    expect(response.status).toBe(202);
    const input = [...s.started.values()][0]?.input as DispatchInput & { kind: "deliveries" };
    expect(input.deliveries[0]).toMatchObject({
      id: bodyOf(response).deliveryId,
      webhookId: "wh1",
      message: { name: "ping", payload: {} },
    });
    expect(
      (await s.api.ping(httpRequest({ method: "POST", path: "/x", params: { id: "nope" } }), s.starter))
        .status,
    ).toBe(404);
  });

  it("lists a webhook's delivery log with a bounded limit", async () => {
    const s = await setup();
    await s.log.record([
      {
        webhookId: "wh1",
        deliveryId: "m",
        eventName: "ping",
        attempt: 1,
        outcome: "delivered",
        status: 200,
        latencyMs: 3,
        at: "2026-01-01T00:00:00.000Z",
      },
    ]);
    const ok = await s.api.listDeliveries(
      httpRequest({ method: "GET", path: "/x", params: { id: "wh1" }, query: { limit: "10" } }),
    );
    expect(bodyOf(ok).items).toHaveLength(1);
    expect(
      (await s.api.listDeliveries(httpRequest({ method: "GET", path: "/x", params: { id: "nope" } }))).status,
    ).toBe(404);
    expect(
      (
        await s.api.listDeliveries(
          httpRequest({ method: "GET", path: "/x", params: { id: "wh1" }, query: { limit: "5000" } }),
        )
      ).status,
    ).toBe(400);
  });
});
