import { always, failing } from "./agent/responses";
import { type Subscriber, TestAgent } from "./agent/testAgent";
import { holdsFor, waitFor, waitForValue } from "./agent/waitFor";

// Failure handling as receivers see it, with RETRY_SCHEDULE=0,200ms,200ms (three attempts per delivery).

const ATTEMPTS = 3;

describe("retries, disabling and dead letters", () => {
  let agent: TestAgent;

  beforeAll(() => {
    agent = new TestAgent();
  });
  afterEach(() => agent.cleanup());
  afterAll(() => agent.close());

  const subscriber = async (
    name: string,
    responder: Parameters<TestAgent["receiver"]>[1],
  ): Promise<Subscriber> =>
    agent.subscribe(await agent.receiver(name, responder), { subscriptions: ["ping"], attributes: { name } });
  const ping = (name: string): Promise<void> => agent.producer.publish([{ name: "ping", payload: { name } }]);

  it("retries a receiver answering 503 twice with the same webhook-id until it answers 200", async () => {
    const flaky = await subscriber("flaky", failing([503, 503]));
    await ping("flaky");
    await waitFor(() => flaky.receiver.delivered() === 1, { what: "the delivery after two 503s" });
    const requests = flaky.receiver.requests;
    expect(requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(new Set(requests.map((r) => r.webhookId)).size).toBe(1);
    expect(requests.every((r) => r.signatureValid)).toBe(true);

    const deliveryId = requests[0]!.webhookId;
    const log = await waitForValue(
      async () => {
        const items = (await agent.admin.deliveries(flaky.webhook.id)).filter(
          (a) => a.deliveryId === deliveryId,
        );
        return items.length === 3 ? items : undefined;
      },
      { what: "three attempts in the delivery log" },
    );
    const byAttempt = [...log].sort((a, b) => a.attempt - b.attempt);
    expect(byAttempt.map((a) => [a.attempt, a.status, a.outcome])).toEqual([
      [1, 503, "retryable"],
      [2, 503, "retryable"],
      [3, 200, "delivered"],
    ]);
  });

  it("disables a webhook whose receiver answers 410 and sends it nothing more", async () => {
    const gone = await subscriber("gone", always(410));
    await ping("gone");
    await waitFor(async () => (await agent.admin.get(gone.webhook.id)).disabled, {
      what: "the webhook to be disabled",
    });
    expect(gone.receiver.requests).toHaveLength(1);

    await agent.publishWithSentinel([{ name: "ping", payload: { name: "gone" } }, { name: "ping:all" }]);
    await holdsFor(
      () => gone.receiver.requests.length === 1,
      400,
      "no more requests to the disabled webhook",
    );
  });

  it("dead-letters a delivery when retries run out, and replays it with the same webhook-id", async () => {
    const down = await subscriber("down", always(500));
    await ping("down");
    await waitFor(() => down.receiver.requests.length === ATTEMPTS, { what: `${ATTEMPTS} failed attempts` });
    const [letter] = await waitForValue(
      async () => {
        const items = await agent.admin.deadLetters(down.webhook.id);
        return items.length > 0 ? items : undefined;
      },
      { what: "a dead letter" },
    );
    const firstId = down.receiver.requests[0]!.webhookId;
    expect(letter).toMatchObject({ deliveryId: firstId, webhookId: down.webhook.id, attempts: ATTEMPTS });
    expect(letter?.lastStatus).toBe(500);

    down.receiver.respond(always(200));
    await agent.admin.replay(firstId);
    await waitFor(() => down.receiver.delivered() === 1, { what: "the replayed delivery" });
    const replayed = down.receiver.requests.at(-1)!;
    expect(replayed.webhookId).toBe(firstId);
    expect(replayed.signatureValid).toBe(true);
    expect(replayed.body).toBe(down.receiver.requests[0]!.body);
    expect(await agent.admin.deadLetters(down.webhook.id)).toEqual([]);
  });
});
