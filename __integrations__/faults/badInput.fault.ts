import axios from "axios";

import { startReceiver, type WebhookReceiver } from "../agent/receiver";
import { waitFor, waitForValue } from "../agent/waitFor";
import { publishMany } from "./support/bulkPublish";
import { type FaultStack, startFaultStack } from "./support/faultStack";
import { malformedEvents } from "./support/malformedEvents";
import { hasReasons, readRejectedRows } from "./support/rejectedTable";

// 10,000 malformed events (fast-check, fixed seed FAST_CHECK_SEED below: invalid JSON, wrong types, a few bodies
// near 1 MB, unknown names, __proto__/constructor keys, deep nesting, non-UTF-8 bytes) mixed with 500 good pings:
// the runtime stays healthy, every bad event is a RejectedEvents row with reasons, every good one is delivered.

const FAST_CHECK_SEED = 20240611;
const BAD = 10_000;
const HUGE = 4;
const GOOD = 500;
const PING = { name: "ping", payload: { name: "good" } };

/** One good ping after every BAD / GOOD bad events, so every trigger batch mixes both. */
const interleave = (bad: ReadonlyArray<unknown>): ReadonlyArray<unknown> =>
  bad.flatMap((body, i) => ((i + 1) % (BAD / GOOD) === 0 ? [body, PING] : [body]));

describe(`10,000 malformed events among 500 good ones (fast-check seed ${FAST_CHECK_SEED})`, () => {
  let stack: FaultStack | undefined;
  let good: WebhookReceiver | undefined;

  beforeAll(async () => {
    stack = await startFaultStack({ env: { RETRY_SCHEDULE: "0,1s,2s" } });
    good = await startReceiver({ name: "good", bindHost: "127.0.0.1", advertisedHost: "127.0.0.1" });
    const webhook = await stack.admin.register({
      url: good.url,
      subscriptions: ["ping"],
      attributes: { name: "good" },
    });
    good.useSecrets(webhook.secret);
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await good?.close();
  });

  it("rejects every bad one with reasons, delivers every good one and stays healthy", async () => {
    const { runtime, azurite } = stack!;
    const bodies = interleave(malformedEvents(FAST_CHECK_SEED, BAD, HUGE));
    expect(bodies).toHaveLength(BAD + GOOD);
    await publishMany(runtime.info, bodies);

    await waitFor(() => good!.delivered() === GOOD, {
      timeoutMs: 60_000,
      what: `${GOOD} good deliveries`,
      detail: () => `${good!.delivered()} so far`,
    });
    const rows = await waitForValue(
      async () => {
        const found = await readRejectedRows(azurite.connectionString);
        return found.length >= BAD ? found : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: `${BAD} rows in RejectedEvents` },
    );
    expect(rows).toHaveLength(BAD);
    expect(rows.filter((row) => !hasReasons(row))).toEqual([]);
    // The raw body is capped at 32 KB: the near-1 MB bodies are kept truncated.
    expect(rows.filter((row) => row.rawTruncated)).toHaveLength(HUGE);
    expect(Math.max(...rows.map((row) => row.rawBytes))).toBeLessThanOrEqual(32 * 1024);
    expect(good!.unique()).toBe(GOOD);
    expect(good!.requests.every((r) => r.signatureValid)).toBe(true);
    // No batch failed (a throw for bad data would make the trigger retry the whole batch).
    expect(runtime.stderr()).not.toMatch(/batch on partition \S+ failed/);

    // Still healthy, and still delivering.
    const health = await axios.get(`${runtime.info.adminUrl}/health`, { validateStatus: () => true });
    expect(health.status).toBe(200);
    await publishMany(runtime.info, [PING]);
    await waitFor(() => good!.delivered() === GOOD + 1, { what: "a ping published after the flood" });
  });

  // Poison events found by this suite: each once made the trigger throw instead of rejecting the event, so its
  // batch was retried forever and the partition blocked (fixed in ingest.ts: own-key codec lookup and a
  // per-event guard). Each case uses its own partition, so a regression blocks only that one.
  const poisonCases: ReadonlyArray<[string, string, unknown]> = [
    // CODEC_BY_NAME[name] finds Object.prototype.constructor, which has no .decode: TypeError.
    ["named after an Object.prototype property (constructor)", "2", { name: "constructor" }],
    // readBody's JSON.stringify of the already-parsed body overflows the stack (RangeError) past ~4,000 levels.
    [
      "nested 10,000 levels deep",
      "3",
      Buffer.from(`{"name":"ping","payload":{"name":${"[".repeat(10_000)}${"]".repeat(10_000)}}}`),
    ],
  ];
  it.each(poisonCases)(
    "rejects an event %s and delivers the good one after it (partition %s)",
    async (_what, partitionId, poison) => {
      const { runtime, azurite } = stack!;
      const before = good!.delivered();
      await publishMany(runtime.info, [poison, PING], { partitionId });
      await waitFor(() => good!.delivered() === before + 1, { timeoutMs: 6000, what: "the ping after it" });
      const rows = await readRejectedRows(azurite.connectionString);
      expect(
        rows.filter((row) => row.partitionKey === `${runtime.info.eventHubName}:${partitionId}`),
      ).not.toEqual([]);
    },
  );
});
