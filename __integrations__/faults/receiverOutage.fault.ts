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

// Receivers reset every connection for 20 s (a listener on their port that accepts and resets before reading, and
// counts), then serve again on the same port. With
// RETRY_SCHEDULE=0,2s,4s,8s,8s,8s,8s (±20% jitter) a delivery's 5th to 7th attempts fall 17.6 s to 45.6 s after
// its first, so it outlives the outage; each delivery must arrive once, and its log must show the resets.

const OUTAGE_MS = 20_000;
const EVENTS = 20;
const RECEIVERS = 2;

/** A retryable failure of a receiver that is down: reset by the outage listener, or refused in the instant
    between that listener closing and the receiver listening again. */
const downFailure = (a: LoggedAttempt): boolean =>
  a.outcome === "retryable" && (a.error === "connection-reset" || a.error === "connection-refused");

/** Attempts 1..n-1 failed (at least 3: attempts 1..4 fall within 16.8 s of the first), attempt n delivered. */
const expectFailedThenDelivered = (attempts: ReadonlyArray<LoggedAttempt>): void => {
  const failed = attempts.slice(0, -1);
  expect(failed.length).toBeGreaterThanOrEqual(3);
  expect(failed.every(downFailure)).toBe(true);
  expect(attempts.at(-1)).toMatchObject({ outcome: "delivered", status: 200 });
  expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_a, i) => i + 1));
};

describe("receivers that reset connections for 20 s, then come back", () => {
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

  it("get every delivery once they are back, after retryable connection-reset attempts", async () => {
    const admin = stack!.admin;
    await Promise.all(receivers.map((r) => r.goDown()));
    const downSince = Date.now();
    await publishMany(
      stack!.runtime.info,
      Array.from({ length: EVENTS }, () => ({ name: "ping:all" })),
    );
    // Every delivery has been tried and reset at least once while the receivers are down.
    for (const id of webhookIds) {
      await waitFor(
        async () => deliveriesFailedWith(await attemptLog(admin, id), "connection-reset") === EVENTS,
        { timeoutMs: OUTAGE_MS, intervalMs: 250, what: `${EVENTS} reset deliveries for ${id}` },
      );
    }
    // The rest of the outage: attempts keep reaching the ports, and no request gets through to anyone.
    await holdsFor(
      () => receivers.every((r) => r.outageRequests() === 0 && r.requests().length === 0),
      Math.max(0, downSince + OUTAGE_MS - Date.now()),
      "no request completing at a receiver that is down",
    );
    for (const [i, id] of webhookIds.entries()) {
      const duringOutage = await attemptLog(admin, id);
      // Nothing counts as delivered while down; every attempt failed as a reset, and each one was a connection the
      // outage listener saw (a reset connection is never reused), so the listener saw the dispatcher's attempts.
      expect(duringOutage.filter((a) => a.outcome === "delivered")).toEqual([]);
      expect(duringOutage.every((a) => a.outcome === "retryable" && a.error === "connection-reset")).toBe(
        true,
      );
      expect(receivers[i]!.outageConnections()).toBeGreaterThanOrEqual(duringOutage.length);
      expect(duringOutage.length).toBeGreaterThanOrEqual(EVENTS);
    }
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
      for (const attempts of deliveries.values()) expectFailedThenDelivered(attempts);
      expect(await admin.deadLetters(id)).toEqual([]);
    }
  });
});
