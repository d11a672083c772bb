import { startReceiver, type WebhookReceiver } from "../agent/receiver";
import { waitFor } from "../agent/waitFor";
import { publishMany } from "./support/bulkPublish";
import { type FaultStack, startFaultStack } from "./support/faultStack";

// SIGKILL mid fan-out: 2,000 `ping:all` events to 3 webhooks (6,000 deliveries). The runtime is killed while
// deliveries are under way and restarted on the same DATA_DIR and storage; every delivery must still arrive
// (at least once: a delivery in flight at the kill may come twice, with the same webhook-id).

const EVENTS = 2000;
const RECEIVERS = 3;
const EXPECTED = EVENTS * RECEIVERS;

const unique = (receivers: ReadonlyArray<WebhookReceiver>): number =>
  receivers.reduce((sum, r) => sum + r.unique(), 0);
const requests = (receivers: ReadonlyArray<WebhookReceiver>): number =>
  receivers.reduce((sum, r) => sum + r.requests.length, 0);

describe("a runtime killed (SIGKILL) mid fan-out and restarted on the same data", () => {
  let stack: FaultStack | undefined;
  const receivers: WebhookReceiver[] = [];

  afterAll(async () => {
    await stack?.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it(`delivers all ${EXPECTED} deliveries of ${EVENTS} ping:all events to ${RECEIVERS} receivers`, async () => {
    stack = await startFaultStack({ persistent: true, env: { RETRY_SCHEDULE: "0,1s,2s,5s,5s,5s,5s,5s,5s" } });
    for (let i = 0; i < RECEIVERS; i++) {
      const name = `crash-${i}`;
      const receiver = await startReceiver({ name, bindHost: "127.0.0.1", advertisedHost: "127.0.0.1" });
      receivers.push(receiver);
      const webhook = await stack.admin.register({
        url: receiver.url,
        subscriptions: ["ping"],
        attributes: { name },
      });
      receiver.useSecrets(webhook.secret);
    }

    const started = Date.now();
    await publishMany(
      stack.runtime.info,
      Array.from({ length: EVENTS }, () => ({ name: "ping:all" })),
    );
    await waitFor(() => unique(receivers) >= EXPECTED / 4, {
      timeoutMs: 60_000,
      intervalMs: 5,
      what: "a quarter of the deliveries before the kill",
    });
    await stack.runtime.kill();
    const killedAt = Date.now();
    const beforeKill = unique(receivers);
    expect(beforeKill).toBeLessThan(EXPECTED);

    await stack.restart();
    await waitFor(() => unique(receivers) >= EXPECTED, {
      timeoutMs: 120_000,
      intervalMs: 50,
      what: `all ${EXPECTED} deliveries after the restart`,
      detail: () => `${unique(receivers)} unique so far`,
    });
    const recoveredMs = Date.now() - killedAt;
    const duplicates = requests(receivers) - unique(receivers);
    console.log(
      `crash: expected ${EXPECTED}, unique ${unique(receivers)}, duplicates ${duplicates}, ` +
        `${beforeKill} before the kill (${killedAt - started} ms after publishing), ` +
        `recovered ${recoveredMs} ms after the kill (restart included)`,
    );
    // Exactly the planned deliveries: each receiver saw each of its 2,000 webhook-ids, nothing else.
    expect(receivers.map((r) => r.unique())).toEqual(receivers.map(() => EVENTS));
    expect(receivers.every((r) => r.requests.every((q) => q.signatureValid))).toBe(true);
  });
});
