import path from "node:path";

import axios from "axios";

import { startReceiver, type WebhookReceiver } from "../agent/receiver";
import { waitFor, waitForValue } from "../agent/waitFor";
import { publishMany } from "./support/bulkPublish";
import { type FaultStack, startFaultStack } from "./support/faultStack";
import { type RestartableAzurite, startRestartableAzurite } from "./support/restartableAzurite";

// Storage unreachable for 20 s mid fan-out. The test starts the Azurite the runtime uses (AzureWebJobsStorage is
// its connection string, so the runtime embeds none), stops it while deliveries are under way, publishes more
// events while it is down, and starts it again on the same ports and data folder. Nothing may be lost: the
// Event Hub trigger retries a batch it could not hand to an orchestration (retry maxRetryCount -1) instead of
// checkpointing past it, and orchestrations resume from their history. Health says degraded meanwhile.

const OUTAGE_MS = 20_000;
const BEFORE = 300;
const DURING = 100;
const EVENTS = BEFORE + DURING;
const RECEIVERS = 2;
const EXPECTED = EVENTS * RECEIVERS;
// Small chunks, so the fan-out of the first events is still under way when storage goes down.
const CHUNK_SIZE = 10;

const unique = (receivers: ReadonlyArray<WebhookReceiver>): number =>
  receivers.reduce((sum, r) => sum + r.unique(), 0);
const requests = (receivers: ReadonlyArray<WebhookReceiver>): number =>
  receivers.reduce((sum, r) => sum + r.requests.length, 0);

interface HealthAnswer {
  readonly status: string;
  readonly checks?: { readonly storage?: string };
  readonly reason?: string;
}

describe("storage unreachable for 20 s mid fan-out", () => {
  let stack: FaultStack | undefined;
  let storage: RestartableAzurite | undefined;
  const receivers: WebhookReceiver[] = [];

  afterAll(async () => {
    await stack?.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it(`delivers all ${EXPECTED} deliveries of ${EVENTS} ping:all events, health degraded meanwhile`, async () => {
    stack = await startFaultStack({
      storage: async (dataDir) => (storage = await startRestartableAzurite(path.join(dataDir, "azurite"))),
      env: { RETRY_SCHEDULE: "0,1s,2s,5s,5s,5s,5s,5s,5s", DELIVERY_CHUNK_SIZE: String(CHUNK_SIZE) },
    });
    const azurite = storage!;
    const runtime = stack.runtime;
    const health = async (): Promise<HealthAnswer> => {
      const response = await axios.get<HealthAnswer>(`${runtime.info.adminUrl}/health`, {
        validateStatus: () => true,
        timeout: 5000,
      });
      if (response.status !== 200) throw new Error(`health: HTTP ${response.status}`);
      return response.data;
    };
    for (let i = 0; i < RECEIVERS; i++) {
      const name = `storage-outage-${i}`;
      const receiver = await startReceiver({ name, bindHost: "127.0.0.1", advertisedHost: "127.0.0.1" });
      receivers.push(receiver);
      const webhook = await stack.admin.register({
        url: receiver.url,
        subscriptions: ["ping"],
        attributes: { name },
      });
      receiver.useSecrets(webhook.secret);
    }
    expect(await health()).toMatchObject({ status: "ok", checks: { storage: "ok" } });

    const ping = (n: number) => Array.from({ length: n }, () => ({ name: "ping:all" }));
    const started = Date.now();
    await publishMany(runtime.info, ping(BEFORE));
    await waitFor(() => unique(receivers) >= RECEIVERS * 20, {
      timeoutMs: 60_000,
      intervalMs: 5,
      what: "the first deliveries before the outage",
    });
    await azurite.goDown();
    const downAt = Date.now();
    const beforeOutage = unique(receivers);
    // Events that arrive while storage is down: the trigger cannot start their orchestration (nor checkpoint).
    await publishMany(runtime.info, ping(DURING));

    const degraded = await waitForValue(
      async () => {
        const answer = await health();
        return answer.status === "degraded" ? answer : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 250, what: "health to say degraded while storage is down" },
    );
    const degradedAfterMs = Date.now() - downAt;
    expect(degraded).toEqual({
      status: "degraded",
      version: expect.any(String),
      checks: { storage: "unreachable" },
      reason: "storage unreachable: connection-refused",
    });
    // It keeps saying so for the rest of the outage (a probe every 2 s at most, whatever we ask).
    while (Date.now() < downAt + OUTAGE_MS) {
      expect((await health()).status).toBe("degraded");
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const duringOutage = unique(receivers);

    await azurite.comeBack();
    const backAt = Date.now();
    await waitFor(async () => (await health()).status === "ok", {
      timeoutMs: 10_000,
      intervalMs: 250,
      what: "health to say ok once storage is back",
    });
    const okAfterMs = Date.now() - backAt;

    await waitFor(() => unique(receivers) >= EXPECTED, {
      timeoutMs: 120_000,
      intervalMs: 50,
      what: `all ${EXPECTED} deliveries after storage is back`,
      detail: () =>
        `${unique(receivers)} unique so far; runtime stderr tail: ${runtime.stderr().slice(-3000)}`,
    });
    const recoveredMs = Date.now() - backAt;
    const duplicates = requests(receivers) - unique(receivers);
    console.log(
      `storage outage: expected ${EXPECTED}, unique ${unique(receivers)}, duplicates ${duplicates}, ` +
        `${beforeOutage} before the outage (${downAt - started} ms after publishing), ${duringOutage} by its end, ` +
        `health degraded ${degradedAfterMs} ms after storage went down and ok ${okAfterMs} ms after it was back, ` +
        `all delivered ${recoveredMs} ms after it was back`,
    );
    expect(beforeOutage).toBeLessThan(EXPECTED);
    // Nothing lost, nothing else: each receiver saw each of its webhook-ids, signed.
    expect(receivers.map((r) => r.unique())).toEqual(receivers.map(() => EVENTS));
    expect(receivers.every((r) => r.requests.every((q) => q.signatureValid))).toBe(true);
    expect(await health()).toMatchObject({ status: "ok", checks: { storage: "ok" } });
  }, 240_000);
});
