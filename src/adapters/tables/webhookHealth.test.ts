import { type TableClient } from "@azure/data-tables";

import { freshTableName, tableClient } from "../../test-support/storage";
import { type HealthAttempt, makeTableWebhookHealth } from "./webhookHealth";

const T0 = Date.parse("2026-03-01T10:00:00Z");
const clock = { now: () => new Date(T0 + 60_000) };
const attempt = (webhookId: string, ms: number, delivered: boolean): HealthAttempt => ({
  webhookId,
  at: new Date(T0 + ms).toISOString(),
  outcome: delivered ? "delivered" : "retryable",
  ...(delivered ? { status: 200 } : { error: "timeout" }),
});

/** The real client, counting the write requests that reach the table (a transaction is one). */
const countingWrites = (client: TableClient) => {
  const counter = { writes: 0 };
  const counted = new Proxy(client, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (
        (key === "createEntity" || key === "updateEntity" || key === "submitTransaction") &&
        typeof value === "function"
      )
        return (...args: unknown[]) => {
          counter.writes++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      return value;
    },
  });
  return { counted, counter };
};

describe("webhook health in Table Storage (Azurite)", () => {
  it("folds a chunk's attempts into one row per webhook, readable one by one and as a list", async () => {
    const store = makeTableWebhookHealth(tableClient(freshTableName("Health")), clock);
    await store.record([attempt("a", 0, true), attempt("a", 1000, false), attempt("b", 500, false)]);
    const a = await store.get("a");
    expect(a).toMatchObject({ consecutiveFailures: 1, failingSince: new Date(T0 + 1000).toISOString() });
    expect(a?.hourly).toEqual([{ start: T0, deliveries: 2, failures: 1 }]);
    expect([...(await store.list()).keys()].sort()).toEqual(["a", "b"]);
    await store.remove("b");
    expect(await store.get("b")).toBeUndefined();
  });

  it("lets counter-only attempts wait (HEALTH_FLUSH_SECONDS), and writes them with the next failure", async () => {
    const { counted, counter } = countingWrites(tableClient(freshTableName("Health")));
    const store = makeTableWebhookHealth(counted, clock, { lingerMs: 60_000, lingerAttempts: 5 });
    await store.record([attempt("a", 0, true)]); // a webhook this process has not written: at once
    expect(counter.writes).toBe(1);
    expect(await store.record([attempt("a", 100, true), attempt("a", 200, true)])).toEqual(new Map());
    expect(counter.writes).toBe(1);
    expect((await store.get("a"))?.hourly).toEqual([{ start: T0, deliveries: 1, failures: 0 }]);
    const failed = await store.record([attempt("a", 300, false)]);
    expect(counter.writes).toBe(2);
    expect(failed.get("a")).toMatchObject({ consecutiveFailures: 1 });
    expect((await store.get("a"))?.hourly).toEqual([{ start: T0, deliveries: 4, failures: 1 }]);
    // The end of a streak is written at once, and so is the lingerAttempts-th waiting attempt.
    await store.record([attempt("a", 400, true)]);
    expect(counter.writes).toBe(3);
    for (let i = 0; i < 4; i++) await store.record([attempt("a", 500 + i, true)]);
    expect(counter.writes).toBe(3);
    await store.record([attempt("a", 600, true)]);
    expect(counter.writes).toBe(4);
    expect((await store.get("a"))?.hourly).toEqual([{ start: T0, deliveries: 10, failures: 1 }]);
  });

  it("writes waiting counters after lingerMs without any further attempt", async () => {
    const { counted, counter } = countingWrites(tableClient(freshTableName("Health")));
    const store = makeTableWebhookHealth(counted, clock, { lingerMs: 100 });
    await store.record([attempt("a", 0, true)]);
    await store.record([attempt("a", 100, true)]);
    expect(counter.writes).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(counter.writes).toBe(2);
    expect((await store.get("a"))?.hourly).toEqual([{ start: T0, deliveries: 2, failures: 0 }]);
  });

  it("shares writes between concurrent chunks: one write per webhook per round, none lost", async () => {
    const { counted, counter } = countingWrites(tableClient(freshTableName("Health")));
    const store = makeTableWebhookHealth(counted, clock);
    await store.record([attempt("a", 0, true)]);
    counter.writes = 0;
    // 20 chunks recorded at once: the first round writes one, the other 19 wait and go out together.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.record([attempt("a", i + 1, false), attempt("b", i, false)]),
      ),
    );
    expect(counter.writes).toBeLessThanOrEqual(4);
    expect((await store.get("a"))?.consecutiveFailures).toBe(20);
    expect((await store.get("b"))?.recent[0]).toEqual({ start: T0, deliveries: 20, failures: 20 });
  });

  it("writes a round's rows in entity-group transactions of up to 100: 150 webhooks, 2 write requests", async () => {
    const { counted, counter } = countingWrites(tableClient(freshTableName("Health")));
    const store = makeTableWebhookHealth(counted, clock);
    const ids = Array.from({ length: 150 }, (_, i) => `w${String(i).padStart(3, "0")}`);
    await store.record(ids.map((id, i) => attempt(id, i, i % 3 !== 0)));
    expect(counter.writes).toBe(2);
    // Every row created (and then updated from the ETags the transactions returned: no read, still 2 per round).
    await store.record(ids.map((id, i) => attempt(id, 1000 + i, false)));
    expect(counter.writes).toBe(4);
    const all = await store.list();
    expect(all.size).toBe(150);
    expect(all.get("w000")?.consecutiveFailures).toBe(2);
    expect(all.get("w001")?.consecutiveFailures).toBe(1);
    expect(all.get("w149")?.recent[0]).toEqual({ start: T0, deliveries: 2, failures: 1 });
  });

  it("two writers on one row (two instances) both count: a stale ETag is re-read and folded again", async () => {
    const table = freshTableName("Health");
    const one = makeTableWebhookHealth(tableClient(table), clock);
    const two = makeTableWebhookHealth(tableClient(table), clock);
    await one.record([attempt("a", 0, false)]);
    await two.record([attempt("a", 1, false)]); // `one` now holds a stale copy
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? one : two).record([attempt("a", 10 + i, false)])),
    );
    const record = await one.get("a");
    expect(record?.consecutiveFailures).toBe(12);
    expect(record?.recent).toEqual([{ start: T0, deliveries: 12, failures: 12 }]);
  });
});
