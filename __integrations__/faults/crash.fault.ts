import { readFileSync } from "node:fs";
import path from "node:path";

import { startReceiver, type WebhookReceiver } from "../agent/receiver";
import { REPO_ROOT } from "../agent/runtimeProcess";
import { waitFor } from "../agent/waitFor";
import { publishMany } from "./support/bulkPublish";
import { type FaultStack, startFaultStack } from "./support/faultStack";

// SIGKILL mid fan-out: 2,000 `ping:all` events to 3 webhooks (6,000 deliveries). The runtime is killed while
// deliveries are under way and restarted on the same DATA_DIR and storage; every delivery must still arrive
// (at least once: a delivery in flight at the kill may come twice, with the same webhook-id).

const EVENTS = 2000;
const RECEIVERS = 3;
const EXPECTED = EVENTS * RECEIVERS;
// Deliveries per deliver activity (and the most a plan activity delivers itself). Smaller than the default 200 so
// the duplicate bound below stays under what arrives before the kill (see there).
const CHUNK_SIZE = 50;
/** Activities the runtime runs at once (host.json, as the local runtime reads it). */
const MAX_ACTIVITIES = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, "host.json"), "utf8")) as {
    extensions: { durableTask: { maxConcurrentActivityFunctions: number } };
  }
).extensions.durableTask.maxConcurrentActivityFunctions;

/** The local host's Event Hub partitions (EVENTHUB_EMULATOR_PARTITIONS, default 4). */
const PARTITIONS = 4;

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
    stack = await startFaultStack({
      persistent: true,
      env: {
        RETRY_SCHEDULE: "0,1s,2s,5s,5s,5s,5s,5s,5s",
        DELIVERY_CHUNK_SIZE: String(CHUNK_SIZE),
        // The ingest sends a batch's first round itself only up to one chunk here: the bound below counts it so.
        INGEST_FIRST_ROUND_MAX: String(CHUNK_SIZE),
      },
    });
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
    // Only deliveries of work in flight at the kill can come twice: an activity keeps its slot until its result
    // is in the instance's inbox in storage, so at most MAX_ACTIVITIES activities had unrecorded results, and the
    // restart re-runs each whole, at most CHUNK_SIZE deliveries; and an ingest's first round (at most one chunk
    // here, INGEST_FIRST_ROUND_MAX) is sent again when its batch had no checkpoint yet: one per partition. The
    // bound is below what arrived before the kill, so a restart that re-sent recorded work (lost history, results
    // kept only in memory, batches already checkpointed) exceeds it.
    const bound = (MAX_ACTIVITIES + PARTITIONS) * CHUNK_SIZE;
    expect(bound).toBeLessThan(beforeKill);
    expect(duplicates).toBeLessThanOrEqual(bound);
  });
});
