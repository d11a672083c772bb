import { always } from "./agent/responses";
import { type Subscriber, TestAgent } from "./agent/testAgent";
import { holdsFor, waitFor, waitForValue } from "./agent/waitFor";

// Recover since a time: a receiver that answered 400 (dead-lettered at once) is fixed, and the dead letters since
// a time that excludes the earliest one are re-delivered by one recovery, with their original webhook-ids.

describe("recover a webhook's dead letters since a time", () => {
  let agent: TestAgent;

  beforeAll(() => {
    agent = new TestAgent();
  });
  afterEach(() => agent.cleanup());
  afterAll(() => agent.close());

  const deadLettersOf = (s: Subscriber, n: number) =>
    waitForValue(
      async () => {
        const items = await agent.admin.deadLetters(s.webhook.id);
        return items.length === n ? items : undefined;
      },
      { what: `${n} dead letters` },
    );

  it("re-delivers exactly the dead letters since `since`, same webhook-ids, and removes only those", async () => {
    const name = "recovering";
    const hook = await agent.subscribe(await agent.receiver(name, always(400)), {
      subscriptions: ["ping"],
      attributes: { name },
    });
    await agent.producer.publish([{ name: "ping", payload: { name } }]);
    const [earliest] = await deadLettersOf(hook, 1);
    const since = new Date(Date.parse(earliest!.deadLetteredAt) + 1).toISOString();
    await waitFor(() => Date.now() > Date.parse(since) + 5, { what: "the clock to pass since" });

    for (let i = 0; i < 3; i++) await agent.producer.publish([{ name: "ping", payload: { name } }]);
    const all = await deadLettersOf(hook, 4);
    const later = all.filter((l) => l.deliveryId !== earliest!.deliveryId).map((l) => l.deliveryId);
    expect(later).toHaveLength(3);

    hook.receiver.respond(always(200));
    const { recovery, location } = await agent.admin.recover(hook.webhook.id, since);
    expect(recovery).toMatchObject({ state: "running", since, count: 3, found: 0, handedOver: 0 });
    expect(location).toBe(`/api/webhooks/${hook.webhook.id}/recoveries/${recovery.id}`);

    const done = await waitForValue(
      async () => {
        const r = await agent.admin.recovery(location);
        return r.state === "running" ? undefined : r;
      },
      { what: "the recovery to finish" },
    );
    expect(done).toMatchObject({ state: "completed", count: 3, found: 3, handedOver: 3 });

    const deliveredIds = () => hook.receiver.requests.filter((r) => r.status === 200).map((r) => r.webhookId);
    await waitFor(() => deliveredIds().length === 3, { what: "the three recovered deliveries" });
    await holdsFor(() => deliveredIds().length === 3, 500, "no other delivery than the recovered ones");
    expect([...deliveredIds()].sort()).toEqual([...later].sort());
    expect(hook.receiver.requests.filter((r) => r.status === 200).every((r) => r.signatureValid)).toBe(true);
    expect((await agent.admin.deadLetters(hook.webhook.id)).map((l) => l.deliveryId)).toEqual([
      earliest!.deliveryId,
    ]);
  });

  it("answers 400 naming since, and 404 for an unknown webhook", async () => {
    const bad = await agent.admin.http.post("/webhooks/nope/recover", { since: "last week" });
    expect(bad.status).toBe(400);
    expect(bad.data).toMatchObject({ errors: [{ path: "/since" }] });
    const unknown = await agent.admin.http.post("/webhooks/nope/recover", {
      since: new Date(0).toISOString(),
    });
    expect(unknown.status).toBe(404);
  });
});
