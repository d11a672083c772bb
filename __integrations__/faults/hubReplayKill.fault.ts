import { type ReplayState } from "../agent/adminClient";
import { startReceiver, type WebhookReceiver } from "../agent/receiver";
import { waitFor, waitForValue } from "../agent/waitFor";
import { publishMany } from "./support/bulkPublish";
import { type FaultStack, startFaultStack } from "./support/faultStack";

// A replay from the Event Hub killed (SIGKILL) mid-way: 5,000 events in the window, the runtime killed once a
// fifth of them arrived, restarted on the same data. The replay resumes from its recorded position and completes;
// the receiver has seen every one of the 5,000 webhook-ids (at most the pages in flight at the kill come twice).

const EVENTS = 5000;
/** The hub's 4 partitions, one page each of rate (1000) / partitions events. */
const PAGES_IN_FLIGHT = 4 * 250;
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("a replay killed (SIGKILL) mid-way and restarted on the same data", () => {
  let stack: FaultStack | undefined;
  let receiver: WebhookReceiver | undefined;
  let live: WebhookReceiver | undefined;

  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
    await live?.close();
  });

  it(`completes with all ${EVENTS} webhook-ids`, async () => {
    stack = await startFaultStack({ persistent: true, env: { RETRY_SCHEDULE: "0,1s,2s,5s,5s" } });
    // A webhook that hears the events live: once it has them all, every batch was planned, so the webhook
    // registered afterwards gets them from the replay alone (live, it would get the same webhook-ids).
    live = await startReceiver({ name: "live", bindHost: "127.0.0.1", advertisedHost: "127.0.0.1" });
    live.useSecrets(
      (
        await stack.admin.register({
          url: live.url,
          subscriptions: ["ping"],
          attributes: { name: "replayed" },
        })
      ).secret,
    );
    const from = new Date().toISOString();
    await delay(5);
    await publishMany(
      stack.runtime.info,
      Array.from({ length: EVENTS }, () => ({ name: "ping", payload: { name: "replayed" } })),
    );
    await delay(5);
    const to = new Date().toISOString();
    await waitFor(() => live!.unique() >= EVENTS, { timeoutMs: 120_000, what: "every event delivered live" });
    receiver = await startReceiver({ name: "replayed", bindHost: "127.0.0.1", advertisedHost: "127.0.0.1" });
    const webhook = await stack.admin.register({
      url: receiver.url,
      subscriptions: ["ping"],
      attributes: { name: "replayed" },
    });
    receiver.useSecrets(webhook.secret);

    const started = await stack.admin.startReplay(webhook.id, { from, to, rate: 1000 });
    expect(started.status).toBe(202);
    const replayId = started.body.id;
    await waitFor(() => receiver!.unique() >= EVENTS / 5, {
      timeoutMs: 60_000,
      intervalMs: 5,
      what: "a fifth of the replay before the kill",
    });
    await stack.runtime.kill();
    const beforeKill = receiver.unique();
    expect(beforeKill).toBeLessThan(EVENTS);

    await stack.restart();
    const done = await waitForValue<ReplayState>(
      async () => {
        const replay = await stack!.admin.getReplay(webhook.id, replayId);
        return replay.state === "running" ? undefined : replay;
      },
      {
        timeoutMs: 120_000,
        intervalMs: 200,
        what: "the replay to finish after the restart",
        detail: () => `${receiver!.unique()} unique so far`,
      },
    );
    const duplicates = receiver.requests.length - receiver.unique();
    console.log(
      `hub replay kill: ${EVENTS} events, ${beforeKill} before the kill, unique ${receiver.unique()}, duplicates ${duplicates}`,
    );
    expect(done.state).toBe("completed");
    expect(receiver.unique()).toBe(EVENTS);
    expect(receiver.requests.every((r) => r.signatureValid)).toBe(true);
    // Only the pages in flight at the kill come again: one per partition (4), at most 1000 / 4 events each.
    expect(duplicates).toBeLessThanOrEqual(PAGES_IN_FLIGHT);
  }, 240_000);
});
