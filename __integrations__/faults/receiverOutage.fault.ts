import { type AdminClient } from "../agent/adminClient";
import { holdsFor, waitFor, waitForValue } from "../agent/waitFor";
import { publishMany } from "./support/bulkPublish";
import { type FaultStack, startFaultStack } from "./support/faultStack";
import { type OutageReceiver, startOutageReceiver } from "./support/outageReceiver";

// Receivers refuse connections for 20 s (listening socket closed), then listen again on the same port. With
// RETRY_SCHEDULE=0,2s,4s,8s,8s,8s,8s (±20% jitter) a delivery's 5th to 7th attempts fall 17.6 s to 45.6 s after
// its first, so it outlives the outage; each delivery must arrive once, and its log must show the refusals.

const OUTAGE_MS = 20_000;
const EVENTS = 20;
const RECEIVERS = 2;

interface LoggedAttempt {
  readonly deliveryId: string;
  readonly attempt: number;
  readonly outcome: string;
  readonly status?: number;
  readonly error?: string;
}

const attemptLog = async (admin: AdminClient, webhookId: string): Promise<ReadonlyArray<LoggedAttempt>> => {
  const response = await admin.http.get<{ items: LoggedAttempt[] }>(`/webhooks/${webhookId}/deliveries`, {
    params: { limit: 1000 },
  });
  if (response.status !== 200) throw new Error(`list deliveries: HTTP ${response.status}`);
  return response.data.items;
};

const byDelivery = (log: ReadonlyArray<LoggedAttempt>): Map<string, LoggedAttempt[]> => {
  const map = new Map<string, LoggedAttempt[]>();
  for (const a of log) map.set(a.deliveryId, [...(map.get(a.deliveryId) ?? []), a]);
  for (const list of map.values()) list.sort((x, y) => x.attempt - y.attempt);
  return map;
};

describe("receivers that refuse connections for 20 s, then come back", () => {
  let stack: FaultStack | undefined;
  const receivers: OutageReceiver[] = [];

  afterAll(async () => {
    await stack?.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it("get every delivery once they are back, after retryable connection-refused attempts", async () => {
    stack = await startFaultStack({ env: { RETRY_SCHEDULE: "0,2s,4s,8s,8s,8s,8s" } });
    const admin = stack.admin;
    const webhookIds: string[] = [];
    for (let i = 0; i < RECEIVERS; i++) {
      const receiver = await startOutageReceiver(`outage-${i}`);
      receivers.push(receiver);
      const webhook = await admin.register({
        url: receiver.url,
        subscriptions: ["ping"],
        attributes: { name: receiver.name },
      });
      receiver.useSecrets(webhook.secret);
      webhookIds.push(webhook.id);
    }

    await Promise.all(receivers.map((r) => r.goDown()));
    const downSince = Date.now();
    await publishMany(
      stack.runtime.info,
      Array.from({ length: EVENTS }, () => ({ name: "ping:all" })),
    );
    // Every delivery has been tried and refused at least once while the receivers are down.
    for (const id of webhookIds) {
      await waitFor(
        async () => {
          const refused = (await attemptLog(admin, id)).filter((a) => a.error === "connection-refused");
          return new Set(refused.map((a) => a.deliveryId)).size === EVENTS;
        },
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
          const map = byDelivery(await attemptLog(admin, id));
          const done = [...map.values()].filter((list) => list.at(-1)?.outcome === "delivered");
          return done.length === EVENTS ? map : undefined;
        },
        { what: `${EVENTS} delivered deliveries in the log of ${id}` },
      );
      for (const attempts of deliveries.values()) {
        const failed = attempts.slice(0, -1);
        // Attempts 1..4 fall at most 16.8 s after the first one: all inside the outage.
        expect(failed.length).toBeGreaterThanOrEqual(3);
        expect(failed.every((a) => a.outcome === "retryable" && a.error === "connection-refused")).toBe(true);
        expect(attempts.at(-1)).toMatchObject({ outcome: "delivered", status: 200 });
        expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_a, i) => i + 1));
      }
      expect(await admin.deadLetters(id)).toEqual([]);
    }
  });
});
