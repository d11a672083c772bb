import { type DeadLetter, makeTableDeadLetterStore } from "../../adapters/tables/deadLetters";
import { makeTableWebhookStore } from "../../adapters/tables/webhookStore";
import { fakeStarter } from "../../test-support/fakeStarter";
import { testSecretCipher } from "../../test-support/secrets";
import { freshTableName, tableClient } from "../../test-support/storage";
import { DISPATCH_ORCHESTRATOR } from "../dispatch/dispatchOrchestrator";
import { type OrchestrationStarter } from "../dispatch/orchestrationStarter";
import { replayInstanceId } from "./deliveryRecordsApi";
import { type PageResult } from "./recovery";
import { makeRecoverPageActivity } from "./recoveryActivity";

const clock = { now: () => new Date("2026-03-02T12:00:00.000Z") };
const letter = (deliveryId: string, deadLetteredAt: string, webhookId = "wh1"): DeadLetter => ({
  deliveryId,
  webhookId,
  eventId: "0:1",
  url: "https://receiver.example/hook",
  body: JSON.stringify({ name: "ping", payload: { n: deliveryId } }),
  headers: {},
  attempts: 1,
  lastStatus: 400,
  reason: "permanent",
  firstAttemptAt: deadLetteredAt,
  deadLetteredAt,
});
const window = { webhookId: "wh1", since: "2026-03-01T10:00:00.000Z", until: "2026-03-02T12:00:00.000Z" };

const setup = async (pageSize: number) => {
  const webhooks = makeTableWebhookStore(tableClient(freshTableName("Wh")), clock, testSecretCipher());
  const deadLetters = makeTableDeadLetterStore(tableClient(freshTableName("Dead")));
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
  const deps = {
    webhooks,
    deadLetters,
    settings: () => ({ chunkSize: 50, retrySchedule: [0] }),
    pageSize,
    concurrency: 2,
  };
  return { page: makeRecoverPageActivity(deps), deps, webhooks, deadLetters, ...fakeStarter() };
};

const inWindow = ["msg_a", "msg_b", "msg_c", "msg_d", "msg_e"].map((id, i) =>
  letter(id, `2026-03-01T1${i}:00:00.000Z`),
);
const outside = [
  letter("msg_0old", "2026-03-01T09:59:59.999Z"),
  letter("msg_new", "2026-03-02T12:00:00.000Z"),
  letter("msg_other", "2026-03-01T12:00:00.000Z", "wh2"),
];

describe("recovery page activity", () => {
  it("pages through the window, replaying each dead letter with its own delivery id, then removing it", async () => {
    const s = await setup(2);
    await s.deadLetters.put([...inWindow, ...outside]);
    const results: PageResult[] = [];
    let after: string | undefined;
    do {
      const result = await s.page({ ...window, ...(after === undefined ? {} : { after }) }, s.starter);
      results.push(result);
      after = result.next;
    } while (after !== undefined);
    expect(results.map((r) => [r.found, r.handedOver])).toEqual([
      [2, 2],
      [2, 2],
      [1, 1],
    ]);
    expect([...s.started.keys()].sort()).toEqual(inWindow.map((l) => replayInstanceId(l)).sort());
    for (const l of inWindow) {
      expect(s.started.get(replayInstanceId(l))).toEqual({
        name: DISPATCH_ORCHESTRATOR,
        input: expect.objectContaining({
          reason: "replay",
          deliveries: [expect.objectContaining({ id: l.deliveryId, message: JSON.parse(l.body) })],
        }),
      });
    }
    const left = await s.deadLetters.list({ limit: 100 });
    expect(left.map((l) => l.deliveryId).sort()).toEqual(["msg_0old", "msg_new", "msg_other"]);
  });

  it("run again after a crash between start and removal, starts no replay twice and removes every dead letter", async () => {
    const s = await setup(10);
    await s.deadLetters.put(inWindow);
    // The first run dies after starting replays, before removing any dead letter (two hand-overs in flight).
    const dying = makeRecoverPageActivity({
      ...s.deps,
      deadLetters: { ...s.deadLetters, remove: () => Promise.reject(new Error("killed")) },
    });
    await expect(dying(window, s.starter)).rejects.toThrow("killed");
    const startedBefore = s.started.size;
    expect(startedBefore).toBe(2);
    expect(await s.deadLetters.count({ webhookId: "wh1", from: window.since, until: window.until })).toBe(5);
    const calls: string[] = [];
    const counting: OrchestrationStarter = {
      startIfAbsent: async (name, id, input) => {
        const result = await s.starter.startIfAbsent(name, id, input);
        calls.push(result);
        return result;
      },
    };
    expect(await s.page(window, counting)).toEqual({ found: 5, handedOver: 5 });
    expect(calls.sort()).toEqual(["exists", "exists", "started", "started", "started"]);
    expect(s.started.size).toBe(5);
    expect(await s.deadLetters.list()).toEqual([]);
  });

  it("stops without sending anything when the webhook is disabled", async () => {
    const s = await setup(10);
    await s.deadLetters.put(inWindow);
    const stored = await s.webhooks.get("wh1");
    await s.webhooks.replace("wh1", { ...stored!.webhook, disabled: true }, stored!.etag);
    expect(await s.page(window, s.starter)).toEqual({
      found: 0,
      handedOver: 0,
      stopped: "the webhook is disabled",
    });
    expect(s.started.size).toBe(0);
    expect((await s.deadLetters.list()).length).toBe(5);
  });
});
