import { type Reply, type RequestSeen } from "./agent/responses";
import { TestAgent } from "./agent/testAgent";
import { waitFor, waitForValue } from "./agent/waitFor";

// Per-subject ordering as a receiver sees it (RETRY_SCHEDULE=0,200ms,200ms: three attempts per delivery).

const PER_SUBJECT = 50;
const A = "AAAAAA00A00A000A";
const B = "BBBBBB00B00B000B";

interface Seen {
  readonly fiscalCode: string;
  readonly sequence: number;
  readonly previousId?: string;
  readonly webhookId: string;
  readonly status: number;
}

const seen = (request: {
  headers: Readonly<Record<string, string>>;
  body: string;
  status: number;
  webhookId: string;
}): Seen => {
  const message = JSON.parse(request.body) as { payload: { fiscalCode: string } };
  const previousId = request.headers["webhook-previous-id"];
  return {
    fiscalCode: message.payload.fiscalCode,
    sequence: Number(request.headers["webhook-sequence"]),
    ...(previousId === undefined ? {} : { previousId }),
    webhookId: request.webhookId,
    status: request.status,
  };
};

const subscribed = (serviceId: string, fiscalCode: string) => ({
  name: "service:subscribed",
  payload: { serviceId, fiscalCode },
});

/** The delivered requests of one subject, in arrival order, checked for order, gaps and the previous-id chain. */
const expectInOrder = (requests: ReadonlyArray<Seen>, fiscalCode: string, count: number): void => {
  const delivered = requests.filter((r) => r.fiscalCode === fiscalCode && r.status >= 200 && r.status < 300);
  expect(delivered.map((r) => r.sequence)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  delivered.forEach((r, i) => {
    if (i === 0) expect(r.previousId).toBeUndefined();
    else expect(r.previousId).toBe(delivered[i - 1]?.webhookId);
  });
  // Every request of the subject was sent in order: no request for n + 1 before n's last attempt.
  const all = requests.filter((r) => r.fiscalCode === fiscalCode).map((r) => r.sequence);
  expect(all).toEqual([...all].sort((x, y) => x - y));
};

describe("per-subject ordering", () => {
  let agent: TestAgent;

  beforeAll(() => {
    agent = new TestAgent();
  });
  afterEach(() => agent.cleanup());
  afterAll(() => agent.close());

  it("holds back only the failing subject: A's 5th fails for 3 s (blocked, listed, retried now), B flows, both arrive 1..50 in order", async () => {
    // A's 5th fails until the receiver is back (at least 3 s, and until A was seen blocked).
    let failingSince: number | undefined;
    let back = false;
    const attemptsOfFifth: number[] = [];
    const responder = (_attempt: number, request: RequestSeen): Reply => {
      const body = JSON.parse(request.body) as { payload: { fiscalCode: string } };
      if (body.payload.fiscalCode === A && request.headers["webhook-sequence"] === "5") {
        failingSince ??= Date.now();
        attemptsOfFifth.push(Date.now() - failingSince);
        if (!back) return { status: 503 };
      }
      return { status: 200 };
    };
    const receiver = await agent.receiver("ordered", responder);
    const subscriber = await agent.subscribe(receiver, {
      subscriptions: ["service:subscribed"],
      attributes: { serviceId: "orderedService1" },
      ordering: "per-subject",
      orderingOnFailure: "block",
    });
    const bodies = Array.from({ length: PER_SUBJECT }, () => [
      subscribed("orderedService1", A),
      subscribed("orderedService1", B),
    ]).flat();
    // One partition key: one partition, in this order.
    await agent.producer.publish(bodies, "ordering-test");
    const requests = (): Seen[] => receiver.requests.map(seen);

    const [held] = await waitForValue(
      async () => {
        const items = await agent.admin.subjects(subscriber.webhook.id, "blocked");
        return items.length > 0 ? items : undefined;
      },
      {
        what: "subject A listed as blocked",
        detail: () =>
          JSON.stringify({
            a: requests()
              .filter((r) => r.fiscalCode === A)
              .map((r) => [r.sequence, r.status]),
            fifth: attemptsOfFifth,
          }),
      },
    );
    expect(held).toMatchObject({ state: "blocked", settledSeq: 4, headSequence: 5, attempts: 3 });
    expect(held?.subjectId).toMatch(/^sub_/);
    expect(JSON.stringify(held)).not.toContain(A);

    // While A is held, all of B arrives, in order; A has nothing past its 5th.
    await waitFor(
      () => requests().filter((r) => r.fiscalCode === B && r.status === 200).length === PER_SUBJECT,
      {
        what: "all of B while A is held",
      },
    );
    expectInOrder(requests(), B, PER_SUBJECT);
    expect(
      Math.max(
        ...requests()
          .filter((r) => r.fiscalCode === A)
          .map((r) => r.sequence),
      ),
    ).toBe(5);

    // Once the receiver is back, an operator retries the blocked head: A goes on from 5.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (failingSince ?? 0) + 3000 - Date.now())));
    back = true;
    expect(await agent.admin.retryNow(subscriber.webhook.id, held?.subjectId ?? "")).toBe(202);
    await waitFor(
      () => requests().filter((r) => r.fiscalCode === A && r.status === 200).length === PER_SUBJECT,
      {
        what: "all of A after the retry",
      },
    );
    expectInOrder(requests(), A, PER_SUBJECT);
    // No duplicates past the retried head: each of A's deliveries but the 5th was sent once.
    const perSequence = new Map<number, number>();
    for (const r of requests().filter((x) => x.fiscalCode === A))
      perSequence.set(r.sequence, (perSequence.get(r.sequence) ?? 0) + 1);
    expect([...perSequence].filter(([n, times]) => n !== 5 && times !== 1)).toEqual([]);
    expect(await agent.admin.subjects(subscriber.webhook.id)).toEqual([]);
  });

  it("dead-letters a delivery that fails for good and goes on (orderingOnFailure continue): the next names it as previous", async () => {
    const C = "CCCCCC00C00C000C";
    const receiver = await agent.receiver("continue", (_attempt, request) =>
      request.headers["webhook-sequence"] === "3" ? { status: 400 } : { status: 200 },
    );
    const subscriber = await agent.subscribe(receiver, {
      subscriptions: ["service:subscribed"],
      attributes: { serviceId: "orderedService2" },
      ordering: "per-subject",
    });
    await agent.producer.publish(
      Array.from({ length: 6 }, () => subscribed("orderedService2", C)),
      "ordering-test-2",
    );
    await waitFor(() => receiver.requests.length === 6, { what: "six requests" });
    const all = receiver.requests.map(seen);
    expect(all.map((r) => [r.sequence, r.status])).toEqual([
      [1, 200],
      [2, 200],
      [3, 400],
      [4, 200],
      [5, 200],
      [6, 200],
    ]);
    expect(all[3]?.previousId).toBe(all[2]?.webhookId);
    const letters = await agent.admin.deadLetters(subscriber.webhook.id);
    expect(letters.map((l) => l.deliveryId)).toEqual([all[2]?.webhookId]);
  });
});
