import { type Recovery } from "../agent/adminClient";
import { startReceiver, type WebhookReceiver } from "../agent/receiver";
import { failing } from "../agent/responses";
import { waitFor, waitForValue } from "../agent/waitFor";
import { publishMany } from "./support/bulkPublish";
import { type FaultStack, startFaultStack } from "./support/faultStack";
import { azuriteBehindKillingProxy, type KillingProxy } from "./support/killingTableProxy";

// A recovery killed mid-way: the runtime reaches its table storage through a proxy that, armed, SIGKILLs the
// runtime when the recovery's third removal of a dead letter arrives (never forwarded: that replay is started, its
// dead letter not yet removed; others of the page are in flight). After the restart the recovery resumes at the
// page it was on and finishes: every dead letter arrives with its webhook-id (a POST in flight at the kill may come
// twice), none is lost, none is left.

const DEAD_LETTERS = 12;
const KILL_AT_DELETE = 3;

describe("a recovery killed mid-way", () => {
  let stack: FaultStack | undefined;
  let proxy: KillingProxy | undefined;
  let receiver: WebhookReceiver | undefined;

  afterEach(async () => {
    await stack?.close();
    await proxy?.close();
    await receiver?.close();
    stack = undefined;
  });

  it("resumes after the restart and finishes: every dead letter re-delivered with its webhook-id, none lost", async () => {
    stack = await startFaultStack({
      // A 400 is not retried: each delivery is dead-lettered at its first attempt.
      env: { RETRY_SCHEDULE: "0" },
      persistent: true,
      storage: azuriteBehindKillingProxy("DeadLetters", (p) => (proxy = p)),
    });
    receiver = await startReceiver({
      name: "recover",
      bindHost: "127.0.0.1",
      advertisedHost: "127.0.0.1",
      responder: failing([400]),
    });
    const webhook = await stack.admin.register({
      url: receiver.url,
      subscriptions: ["ping"],
      attributes: { name: "recover" },
    });
    receiver.useSecrets(webhook.secret);
    await publishMany(
      stack.runtime.info,
      Array.from({ length: DEAD_LETTERS }, () => ({ name: "ping:all" })),
    );
    const letters = await waitForValue(
      async () => {
        const found = await stack!.admin.deadLetters(webhook.id);
        return found.length === DEAD_LETTERS ? found : undefined;
      },
      { timeoutMs: 60_000, what: `${DEAD_LETTERS} dead letters` },
    );
    const ids = letters.map((l) => l.deliveryId).sort();

    const runtime = stack.runtime;
    let killed = false;
    let answeredAtKill = 0;
    const answered = () => receiver!.requests.filter((r) => r.status === 200);
    proxy!.arm(
      () => {
        killed = true;
        answeredAtKill = answered().length;
        void runtime.kill();
      },
      { nth: KILL_AT_DELETE },
    );
    const { recovery, location } = await stack.admin.recover(webhook.id, new Date(0).toISOString());
    expect(recovery.count).toBe(DEAD_LETTERS);
    await runtime.exited();
    expect(killed).toBe(true);
    // What the receiver answered 2xx until the runtime was gone: only those can come again (their results may not
    // have reached the history), and only once.
    const answeredAtExit = answered().length;

    await stack.restart();
    const admin = stack.admin;
    const done = await waitForValue<Recovery>(
      async () => {
        const r = await admin.recovery(location);
        return r.state === "running" ? undefined : r;
      },
      { timeoutMs: 60_000, what: "the resumed recovery to finish" },
    );
    expect(done.state).toBe("completed");
    await waitFor(() => new Set(answered().map((r) => r.webhookId)).size === DEAD_LETTERS, {
      timeoutMs: 60_000,
      what: "every dead letter re-delivered",
    });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const delivered = answered();
    const duplicates = delivered.length - new Set(delivered.map((r) => r.webhookId)).size;
    console.log(
      `recovery killed at removal ${KILL_AT_DELETE}: ${answeredAtKill} answered 2xx before the kill, ` +
        `duplicates ${duplicates}, found ${done.found}, handed over ${done.handedOver}`,
    );
    expect([...new Set(delivered.map((r) => r.webhookId))].sort()).toEqual(ids);
    expect(delivered.every((r) => r.signatureValid)).toBe(true);
    expect(await admin.deadLetters(webhook.id)).toEqual([]);
    // At least once: only a POST answered before the runtime was gone may be sent again after the restart.
    expect(duplicates).toBeLessThanOrEqual(answeredAtExit);
  }, 180_000);
});
