import { type DeadLetter, makeTableDeadLetterStore } from "../../adapters/tables/deadLetters";
import { makeTableWebhookStore } from "../../adapters/tables/webhookStore";
import { fakeStarter } from "../../test-support/fakeStarter";
import { bodyOf, headerOf, httpRequest } from "../../test-support/http";
import { testSecretCipher } from "../../test-support/secrets";
import { freshTableName, tableClient } from "../../test-support/storage";
import { type InstanceStatus, type OrchestrationStatusReader } from "../dispatch/orchestrationStarter";
import { RECOVERY_ORCHESTRATOR, recoveryInstanceId } from "./recovery";
import { makeRecoveryApi } from "./recoveryApi";

const NOW = "2026-03-02T12:00:00.000Z";
const clock = { now: () => new Date(NOW) };
const letter = (deliveryId: string, deadLetteredAt: string, webhookId = "wh1"): DeadLetter => ({
  deliveryId,
  webhookId,
  eventId: "0:1",
  url: "https://receiver.example/hook",
  body: JSON.stringify({ name: "ping", payload: {} }),
  headers: {},
  attempts: 1,
  lastStatus: 400,
  reason: "permanent",
  firstAttemptAt: deadLetteredAt,
  deadLetteredAt,
});

const setup = async () => {
  const webhooks = makeTableWebhookStore(tableClient(freshTableName("Wh")), clock, testSecretCipher());
  const deadLetters = makeTableDeadLetterStore(tableClient(freshTableName("Dead")));
  const hook = { url: "https://receiver.example/hook", subscriptions: ["ping" as const], headers: {} };
  await webhooks.create("wh1", { ...hook, attributes: { name: "wh1" }, disabled: false }, "whsec_x");
  await webhooks.create("off", { ...hook, attributes: { name: "off" }, disabled: true }, "whsec_y");
  const { starter, started } = fakeStarter();
  const api = makeRecoveryApi({ webhooks, deadLetters, clock, newId: () => "rec1" });
  return { api, deadLetters, starter, started };
};

const recover = (id: string, body: unknown) =>
  httpRequest({ method: "POST", path: `/api/webhooks/${id}/recover`, params: { id }, body });
const follow = (id: string, recoveryId: string) =>
  httpRequest({
    method: "GET",
    path: `/api/webhooks/${id}/recoveries/${recoveryId}`,
    params: { id, recoveryId },
  });
const readerOf = (statuses: Record<string, InstanceStatus>): OrchestrationStatusReader => ({
  status: (id) => Promise.resolve(statuses[id]),
});

describe("admin API: recover a webhook's dead letters since a time", () => {
  it.each<[string, unknown, string, string]>([
    ["since missing", {}, "/since", "is required"],
    ["since not a string", { since: 1 }, "/since", "must be IsoTime"],
    ["since not an ISO time", { since: "yesterday" }, "/since", "must be IsoTime"],
    ["since without a zone", { since: "2026-03-01T10:00:00" }, "/since", "must be IsoTime"],
    ["since not a real date", { since: "2026-02-30T10:00:00Z" }, "/since", "must be IsoTime"],
    ["since in the future", { since: "2026-03-02T12:00:01Z" }, "/since", "must not be in the future"],
  ])("answers 400 naming the field when %s", async (_what, body, path, message) => {
    const s = await setup();
    const response = await s.api.start(recover("wh1", body), s.starter);
    expect(response.status).toBe(400);
    expect(headerOf(response, "content-type")).toBe("application/problem+json");
    expect(bodyOf(response).errors).toEqual([{ path, message: expect.stringContaining(message) }]);
    expect(s.started.size).toBe(0);
  });

  it("answers 404 for an unknown webhook and 409 for a disabled one, starting nothing", async () => {
    const s = await setup();
    expect((await s.api.start(recover("nope", { since: NOW }), s.starter)).status).toBe(404);
    expect((await s.api.start(recover("off", { since: NOW }), s.starter)).status).toBe(409);
    expect(s.started.size).toBe(0);
  });

  it("answers 202 with the count of the window's dead letters and a Location, and starts the recovery", async () => {
    const s = await setup();
    await s.deadLetters.put([
      letter("msg_old", "2026-03-01T09:59:59.999Z"),
      letter("msg_a", "2026-03-01T10:00:00.000Z"),
      letter("msg_b", "2026-03-02T11:00:00.000Z"),
      letter("msg_other", "2026-03-02T11:00:00.000Z", "wh2"),
    ]);
    const response = await s.api.start(recover("wh1", { since: "2026-03-01T11:00:00+01:00" }), s.starter);
    expect(response.status).toBe(202);
    expect(headerOf(response, "location")).toBe("/api/webhooks/wh1/recoveries/rec1");
    const accepted = {
      id: "rec1",
      webhookId: "wh1",
      state: "running",
      since: "2026-03-01T10:00:00.000Z",
      startedAt: NOW,
      count: 2,
      found: 0,
      handedOver: 0,
      updatedAt: NOW,
    };
    expect(bodyOf(response)).toEqual(accepted);
    expect(s.started.get(recoveryInstanceId("wh1", "rec1"))).toEqual({
      name: RECOVERY_ORCHESTRATOR,
      input: {
        recoveryId: "rec1",
        webhookId: "wh1",
        since: "2026-03-01T10:00:00.000Z",
        startedAt: NOW,
        count: 2,
        found: 0,
        handedOver: 0,
      },
    });
  });

  it("follows a recovery: running with its progress, then completed with its totals; unknown ones are 404", async () => {
    const s = await setup();
    await s.api.start(recover("wh1", { since: "2026-03-01T00:00:00Z" }), s.starter);
    const input = s.started.get(recoveryInstanceId("wh1", "rec1"))?.input as Record<string, unknown>;
    const id = recoveryInstanceId("wh1", "rec1");
    const at = "2026-03-02T12:00:05.000Z";
    const running = readerOf({
      [id]: {
        runtimeStatus: "Running",
        input,
        customStatus: { ...input, found: 100, handedOver: 100, after: "msg_x" },
        output: null,
        lastUpdatedTime: at,
      },
    });
    expect(bodyOf(await s.api.get(follow("wh1", "rec1"), running))).toMatchObject({
      state: "running",
      found: 100,
      handedOver: 100,
      updatedAt: at,
    });
    const done = readerOf({
      [id]: {
        runtimeStatus: "Completed",
        input,
        customStatus: input,
        output: { ...input, found: 150, handedOver: 150, outcome: "completed", finishedAt: at },
        lastUpdatedTime: at,
      },
    });
    const completed = await s.api.get(follow("wh1", "rec1"), done);
    expect(completed.status).toBe(200);
    expect(bodyOf(completed)).toMatchObject({
      state: "completed",
      found: 150,
      handedOver: 150,
      finishedAt: at,
    });
    const crashed = readerOf({
      [id]: { runtimeStatus: "Failed", input, customStatus: input, output: "boom", lastUpdatedTime: at },
    });
    expect(bodyOf(await s.api.get(follow("wh1", "rec1"), crashed))).toMatchObject({ state: "failed" });
    expect((await s.api.get(follow("wh1", "nope"), done)).status).toBe(404);
    expect((await s.api.get(follow("wh2", "rec1"), done)).status).toBe(404);
  });
});
