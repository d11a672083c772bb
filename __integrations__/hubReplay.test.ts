import { randomUUID } from "node:crypto";

import { deliveryId } from "../src/domain/deliveryPlan";
import { readWholeHub } from "./agent/hubEvents";
import { type Subscriber, TestAgent } from "./agent/testAgent";
import { waitFor, waitForValue } from "./agent/waitFor";

// Replays from the Event Hub for one webhook: a webhook registered after the events gets them from a replay, with
// the webhook-ids the live path gives (the same in a second replay), only those of the window, while live events
// keep arriving during the replay. Bad requests are problems naming the field.

const EVENTS = 200;
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("replays from the Event Hub", () => {
  let agent: TestAgent;

  beforeAll(() => {
    agent = new TestAgent();
  });
  afterEach(() => agent.cleanup());
  afterAll(() => agent.close());

  const pings = (name: string, n: number): unknown[] =>
    Array.from({ length: n }, () => ({ name: "ping", payload: { name } }));
  const idsOf = (subscriber: Subscriber, skip = 0): Set<string> =>
    new Set(subscriber.receiver.requests.slice(skip).map((r) => r.webhookId));

  const replayToEnd = async (subscriber: Subscriber, body: unknown) => {
    const started = await agent.admin.startReplay(subscriber.webhook.id, body);
    expect(started.status).toBe(202);
    expect(started.location).toBe(`/api/webhooks/${subscriber.webhook.id}/replays/${started.body.id}`);
    return started.body.id;
  };
  const finished = (subscriber: Subscriber, replayId: string) =>
    waitForValue(
      async () => {
        const replay = await agent.admin.getReplay(subscriber.webhook.id, replayId);
        return replay.state === "running" ? undefined : replay;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: "the replay to finish" },
    );

  it(`replays ${EVENTS} events to a new webhook with the live path's webhook-ids, the same twice, only the window's`, async () => {
    const name = `replay-${randomUUID()}`;
    // A webhook that hears everything live: once it has all, every batch was planned (a webhook registered later
    // cannot get any of them live).
    const live = await agent.subscribe(await agent.receiver(`${name}-live`), {
      subscriptions: ["ping"],
      attributes: { name },
    });
    await agent.producer.publish(pings(name, 5));
    await delay(30);
    const from = new Date().toISOString();
    await delay(5);
    await agent.producer.publish(pings(name, EVENTS));
    await delay(5);
    const to = new Date().toISOString();
    await delay(30);
    await agent.producer.publish(pings(name, 5));
    await waitFor(() => live.receiver.delivered() === EVENTS + 10, { what: "every event delivered live" });

    // The hub's own view: which events are in the window, and the ids the live path gives them for a webhook.
    const hub = (await readWholeHub(agent.target.eventHubConnection, agent.target.eventHubName)).filter(
      (e) => (e.body as { payload?: { name?: string } }).payload?.name === name,
    );
    expect(hub).toHaveLength(EVENTS + 10);
    const inWindow = hub.filter(
      (e) => e.enqueuedTime >= Date.parse(from) && e.enqueuedTime <= Date.parse(to),
    );
    expect(inWindow).toHaveLength(EVENTS);
    const liveId = (webhookId: string, e: (typeof hub)[number]): string =>
      deliveryId(e.messageId ?? `${e.partitionId}:${e.sequenceNumber}`, webhookId, 0);
    // The computation is the live path's: the live webhook got exactly these ids.
    expect(idsOf(live)).toEqual(new Set(hub.map((e) => liveId(live.webhook.id, e))));

    const late = await agent.subscribe(await agent.receiver(`${name}-late`), {
      subscriptions: ["ping"],
      attributes: { name },
    });
    const expected = new Set(inWindow.map((e) => liveId(late.webhook.id, e)));
    const replayId = await replayToEnd(late, { from, to, rate: 50 });

    // Live traffic during the replay: published once the replay is under way, delivered while it still runs.
    await waitFor(() => late.receiver.requests.length > 0, { what: "the replay's first delivery" });
    await agent.producer.publish(pings(name, 3));
    await waitFor(() => [...idsOf(late)].filter((id) => !expected.has(id)).length >= 3, {
      what: "the 3 live events",
      detail: () => `${late.receiver.requests.length} requests`,
    });
    const duringReplay = await agent.admin.getReplay(late.webhook.id, replayId);
    expect(duringReplay.state).toBe("running");

    const first = await finished(late, replayId);
    expect(first).toMatchObject({ state: "completed", eventsRead: EVENTS });
    expect(first.deliveries).toMatchObject({ planned: EVENTS, delivered: EVENTS, deadLettered: 0 });
    const replayed = [...idsOf(late)].filter((id) => expected.has(id));
    expect(new Set(replayed)).toEqual(expected);
    // Nothing outside the window: the only other ids are the 3 live events'.
    expect(idsOf(late).size).toBe(EVENTS + 3);
    expect(late.receiver.requests.every((r) => r.signatureValid)).toBe(true);
    const log = await agent.admin.deliveries(late.webhook.id);
    expect(log.filter((a) => a.replayId === replayId)).toHaveLength(EVENTS);

    const seen = late.receiver.requests.length;
    const second = await replayToEnd(late, { from, to, rate: 1000 });
    expect(await finished(late, second)).toMatchObject({ state: "completed", eventsRead: EVENTS });
    expect(idsOf(late, seen)).toEqual(expected);
  }, 120_000);

  it("replays to a per-subject webhook in each subject's order: a subject's next delivery waits for its retried one", async () => {
    const serviceId = `ro${randomUUID().slice(0, 8)}`;
    const subjects = ["REPLAY00A00A001R", "REPLAY00A00A002R", "REPLAY00A00A003R"];
    const event = (fiscalCode: string) => ({
      name: "service:subscribed",
      payload: { serviceId, fiscalCode },
    });
    const live = await agent.subscribe(await agent.receiver(`${serviceId}-live`), {
      subscriptions: ["service:subscribed"],
      attributes: { serviceId },
    });
    const from = new Date().toISOString();
    await delay(5);
    // 6 rounds of the 3 subjects, interleaved, on one partition (the order a replay must keep per subject).
    await agent.producer.publish(
      Array.from({ length: 6 }, () => subjects.map(event)).flat(),
      `replay-ordered-${serviceId}`,
    );
    await delay(5);
    const to = new Date().toISOString();
    await waitFor(() => live.receiver.delivered() === 18, { what: "every event delivered live" });
    const hub = (await readWholeHub(agent.target.eventHubConnection, agent.target.eventHubName))
      .filter((e) => (e.body as { payload?: { serviceId?: string } }).payload?.serviceId === serviceId)
      .sort((a, b) => a.sequenceNumber - b.sequenceNumber);
    expect(hub).toHaveLength(18);
    const subjectOf = (e: (typeof hub)[number]) =>
      (e.body as { payload: { fiscalCode: string } }).payload.fiscalCode;

    const ordered = await agent.subscribe(
      await agent.receiver(`${serviceId}-ordered`, (attempt, request) => {
        const { payload } = JSON.parse(request.body) as { payload: { fiscalCode: string } };
        // The first subject's 2nd delivery fails twice (its third attempt succeeds, 400 ms later).
        const failing = payload.fiscalCode === subjects[0] && request.headers["webhook-id"] === secondOfFirst;
        return { status: failing && attempt <= 2 ? 503 : 200 };
      }),
      { subscriptions: ["service:subscribed"], attributes: { serviceId }, ordering: "per-subject" },
    );
    const idOf = (e: (typeof hub)[number]) =>
      deliveryId(e.messageId ?? `${e.partitionId}:${e.sequenceNumber}`, ordered.webhook.id, 0);
    const secondOfFirst = idOf(hub.filter((e) => subjectOf(e) === subjects[0])[1]!);

    const replayId = await replayToEnd(ordered, { from, to, rate: 1000 });
    const done = await finished(ordered, replayId);
    expect(done).toMatchObject({ state: "completed", eventsRead: 18 });
    expect(done.deliveries).toMatchObject({ delivered: 18, deadLettered: 0 });
    for (const subject of subjects) {
      const expected = hub.filter((e) => subjectOf(e) === subject).map(idOf);
      const arrived = ordered.receiver.requests
        .filter((r) => r.status === 200 && expected.includes(r.webhookId))
        .map((r) => r.webhookId);
      expect(arrived).toEqual(expected);
    }
    expect(
      ordered.receiver.requests.filter((r) => r.webhookId === secondOfFirst).map((r) => r.status),
    ).toEqual([503, 503, 200]);
  }, 120_000);

  describe("bad requests", () => {
    let hook: Subscriber;
    beforeEach(async () => {
      hook = await agent.subscribe(await agent.receiver("replay-bad"), {
        subscriptions: ["ping"],
        attributes: { name: "replay-bad" },
      });
    });
    const paths = (answer: { body: { errors: ReadonlyArray<{ path: string; message: string }> } }) =>
      answer.body.errors.map((e) => e.path);

    it("answers 404 for an unknown webhook", async () => {
      const answer = await agent.admin.startReplay("wh_unknown", { from: new Date().toISOString() });
      expect(answer.status).toBe(404);
    });

    it("answers 400 naming /from when from is after to", async () => {
      const answer = await agent.admin.startReplay(hook.webhook.id, {
        from: new Date(Date.now() - 1000).toISOString(),
        to: new Date(Date.now() - 60_000).toISOString(),
      });
      expect(answer.status).toBe(400);
      expect(paths(answer)).toEqual(["/from"]);
    });

    it("answers 400 with the oldest time available when from is before the hub's retention", async () => {
      const answer = await agent.admin.startReplay(hook.webhook.id, { from: "2000-01-01T00:00:00Z" });
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([
        { path: "/from", message: expect.stringMatching(/oldest time available is \d{4}-\d\d-\d\dT/) },
      ]);
    });

    it("answers 400 naming /events/1 for an unknown event name", async () => {
      const answer = await agent.admin.startReplay(hook.webhook.id, {
        from: new Date(Date.now() - 60_000).toISOString(),
        events: ["ping", "no-such-event"],
      });
      expect(answer.status).toBe(400);
      expect(paths(answer)).toEqual(["/events/1"]);
    });
  });
});
