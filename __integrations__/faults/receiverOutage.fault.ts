import { holdsFor, waitFor, waitForValue } from "../agent/waitFor";
import {
  attemptLog,
  attemptsByDelivery,
  deliveriesFailedWith,
  type LoggedAttempt,
} from "./support/attemptLog";
import { publishMany } from "./support/bulkPublish";
import { type FaultStack, startFaultStack } from "./support/faultStack";
import { type OutageReceiver, startOutageReceiver } from "./support/outageReceiver";

// Receivers refuse connections for 20 s (listening socket closed), then listen again on the same port. With
// RETRY_SCHEDULE=0,2s,4s,8s,8s,8s,8s (±20% jitter) a delivery's 5th to 7th attempts fall 17.6 s to 45.6 s after
// its first, so it outlives the outage; each delivery must arrive once, and its log must show the refusals.

const OUTAGE_MS = 20_000;
const EVENTS = 20;
const RECEIVERS = 2;

/** Attempts 1..n-1 refused (at least 3: attempts 1..4 fall within 16.8 s of the first), attempt n delivered. */
const expectRefusedThenDelivered = (attempts: ReadonlyArray<LoggedAttempt>): void => {
  const failed = attempts.slice(0, -1);
  expect(failed.length).toBeGreaterThanOrEqual(3);
  expect(failed.every((a) => a.outcome === "retryable" && a.error === "connection-refused")).toBe(true);
  expect(attempts.at(-1)).toMatchObject({ outcome: "delivered", status: 200 });
  expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_a, i) => i + 1));
};

describe("receivers that refuse connections for 20 s, then come back", () => {
  let stack: FaultStack | undefined;
  const receivers: OutageReceiver[] = [];
  const webhookIds: string[] = [];

  afterAll(async () => {
    await stack?.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  beforeAll(async () => {
    stack = await startFaultStack({ env: { RETRY_SCHEDULE: "0,2s,4s,8s,8s,8s,8s" } });
    for (let i = 0; i < RECEIVERS; i++) {
      const receiver = await startOutageReceiver(`outage-${i}`);
      receivers.push(receiver);
      const webhook = await stack.admin.register({
        url: receiver.url,
        subscriptions: ["ping"],
        attributes: { name: receiver.name },
      });
      receiver.useSecrets(webhook.secret);
      webhookIds.push(webhook.id);
    }
  }, 60_000);

  it("get every delivery once they are back, after retryable connection-refused attempts", async () => {
    const admin = stack!.admin;
    await Promise.all(receivers.map((r) => r.goDown()));
    const downSince = Date.now();
    await publishMany(
      stack!.runtime.info,
      Array.from({ length: EVENTS }, () => ({ name: "ping:all" })),
    );
    // Every delivery has been tried and refused at least once while the receivers are down.
    for (const id of webhookIds) {
      await waitFor(
        async () => deliveriesFailedWith(await attemptLog(admin, id), "connection-refused") === EVENTS,
        { timeoutMs: OUTAGE_MS, intervalMs: 250, what: `${EVENTS} refused deliveries for ${id}` },
      );
    }
    // The rest of the outage: nothing can arrive (the listening sockets are closed).
    await holdsFor(
      () => receivers.every((r) => r.requests().length === 0),
      Math.max(0, downSince + OUTAGE_MS - Date.now()),
      "no request reaching a receiver that is down",
    );
    await Promise.all(receivers.map((r) => r.comeBack()));

    await waitFor(() => receivers.every((r) => r.delivered() === EVENTS), {
      timeoutMs: 40_000,
      what: `${EVENTS} deliveries to each receiver after the outage`,
      detail: () => receivers.map((r) => `${r.name}: ${r.delivered()}`).join(", "),
    });
    for (const r of receivers) {
      // Once back, each webhook-id arrives once, signed, answered 200.
      expect(r.requests()).toHaveLength(EVENTS);
      expect(r.requests().every((q) => q.signatureValid && q.status === 200)).toBe(true);
    }

    for (const id of webhookIds) {
      const deliveries = await waitForValue(
        async () => {
          const map = attemptsByDelivery(await attemptLog(admin, id));
          const done = [...map.values()].filter((list) => list.at(-1)?.outcome === "delivered");
          return done.length === EVENTS ? map : undefined;
        },
        { what: `${EVENTS} delivered deliveries in the log of ${id}` },
      );
      for (const attempts of deliveries.values()) expectRefusedThenDelivered(attempts);
      expect(await admin.deadLetters(id)).toEqual([]);
    }
  });
});
