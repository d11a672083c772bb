import { freshTableName, tableClient } from "../../test-support/storage";
import { type DeadLetter, deliveryOf, makeTableDeadLetterStore } from "./deadLetters";
import { type DeliveryAttempt, makeTableDeliveryLog } from "./deliveryLog";
import { capUtf8, makeTableRejectedEventsStore } from "./rejectedEvents";

const attempt = (n: number, at: string, webhookId = "wh1"): DeliveryAttempt => ({
  webhookId,
  deliveryId: "msg_1",
  eventName: "ping",
  attempt: n,
  outcome: n < 3 ? "retryable" : "delivered",
  ...(n < 3 ? { status: 503 } : { status: 200 }),
  latencyMs: 12,
  at,
});

describe("delivery log (Azurite)", () => {
  it("lists a webhook's attempts newest first, up to the limit, and only that webhook's", async () => {
    const log = makeTableDeliveryLog(tableClient(freshTableName("Attempts")));
    await log.record([
      attempt(1, "2026-01-01T00:00:00.000Z"),
      attempt(2, "2026-01-01T00:00:05.000Z"),
      attempt(3, "2026-01-01T00:00:35.000Z"),
      attempt(1, "2026-01-01T00:00:01.000Z", "wh2"),
    ]);
    const listed = await log.list("wh1", 10);
    expect(listed.map((a) => a.attempt)).toEqual([3, 2, 1]);
    expect(listed[0]).toEqual(attempt(3, "2026-01-01T00:00:35.000Z"));
    expect(await log.list("wh1", 2)).toHaveLength(2);
    expect(await log.list("wh2", 10)).toHaveLength(1);
  });

  it("lists newest first across seconds and hours, and never mixes in a webhook whose id extends this one's", async () => {
    const log = makeTableDeliveryLog(tableClient(freshTableName("Attempts")));
    await log.record([
      attempt(1, "2026-01-01T08:59:59.000Z"),
      attempt(3, "2026-01-01T11:00:00.000Z"),
      attempt(2, "2026-01-01T09:30:00.000Z"),
      attempt(1, "2026-01-01T10:00:00.000Z", "wh10"),
      attempt(1, "2026-01-01T10:00:00.000Z", "wh1x"),
    ]);
    expect((await log.list("wh1", 10)).map((a) => a.at)).toEqual([
      "2026-01-01T11:00:00.000Z",
      "2026-01-01T09:30:00.000Z",
      "2026-01-01T08:59:59.000Z",
    ]);
    expect(await log.list("wh10", 10)).toHaveLength(1);
  });

  it("records more than one transaction's worth (100) for one webhook in one second", async () => {
    const log = makeTableDeliveryLog(tableClient(freshTableName("Attempts")));
    const many = Array.from({ length: 150 }, (_, i) => ({
      ...attempt(1, new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString()),
      deliveryId: `msg_${i}`,
    }));
    await log.record(many);
    expect(await log.list("wh1", 1000)).toHaveLength(150);
  });

  it("packs one flush's attempts for a webhook and second into one row, and reads them back whole", async () => {
    const table = tableClient(freshTableName("Attempts"));
    const log = makeTableDeliveryLog(table);
    const many = Array.from({ length: 150 }, (_, i) => ({
      ...attempt(3, new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString()),
      deliveryId: `msg_${i}`,
    }));
    await log.record(many);
    const rows = [];
    for await (const row of table.listEntities()) rows.push(row);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ count: 150, at: many[149]?.at });
    expect(await log.list("wh1", 1000)).toEqual([...many].reverse());
  });

  it("splits a partition's attempts into rows that fit a string property, keeping non-ASCII text intact", async () => {
    const table = tableClient(freshTableName("Attempts"));
    const log = makeTableDeliveryLog(table);
    const many = Array.from({ length: 200 }, (_, i) => ({
      ...attempt(1, new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString()),
      deliveryId: `msg_${i}`,
      error: `connessione rifiutata: è già chiusa ${"x".repeat(400)}`,
    }));
    await log.record(many);
    const rows: Array<Record<string, unknown>> = [];
    for await (const row of table.listEntities<Record<string, unknown>>()) rows.push(row);
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) expect(String(row.attempts).length).toBeLessThanOrEqual(30_000);
    const listed = await log.list("wh1", 1000);
    expect(listed).toHaveLength(200);
    expect(listed[0]?.error).toBe(many[199]?.error);
  });

  it("stops at the limit, newest first, when one webhook has many seconds of attempts", async () => {
    const log = makeTableDeliveryLog(tableClient(freshTableName("Attempts")));
    await log.record(
      Array.from({ length: 30 }, (_, i) => ({
        ...attempt(3, new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString()),
        deliveryId: `msg_${i}`,
      })),
    );
    expect((await log.list("wh1", 5)).map((a) => a.deliveryId)).toEqual([
      "msg_29",
      "msg_28",
      "msg_27",
      "msg_26",
      "msg_25",
    ]);
  });

  it("writes one entity-group transaction per flush for every webhook it holds: one partition per second", async () => {
    const table = tableClient(freshTableName("Attempts"));
    const log = makeTableDeliveryLog(table);
    await log.record([attempt(3, "2026-01-01T00:00:00.000Z", "wh0")]); // creates the table
    const submit = jest.spyOn(table, "submitTransaction");
    const webhooks = Array.from({ length: 150 }, (_, i) => `wh${String(i).padStart(3, "0")}`);
    await log.record(
      webhooks.map((id, i) => attempt(3, `2026-01-01T00:00:01.${String(i).padStart(3, "0")}Z`, id)),
    );
    // 150 rows (one per webhook) in one partition: two transactions (at most 100 operations each).
    expect(submit).toHaveBeenCalledTimes(2);
    const rows: Array<Record<string, unknown>> = [];
    for await (const row of table.listEntities<Record<string, unknown>>()) rows.push(row);
    const second = rows.filter(
      (r) => r.partitionKey !== rows.find((x) => x.webhookId === "wh0")?.partitionKey,
    );
    expect(second).toHaveLength(150);
    expect(new Set(second.map((r) => r.partitionKey)).size).toBe(1);
    for (const id of ["wh000", "wh149"]) expect(await log.list(id, 10)).toHaveLength(1);
    submit.mockRestore();
  });

  it("reads the rows of the layout before (one partition per webhook and second) beside the current ones", async () => {
    const table = tableClient(freshTableName("Attempts"));
    const log = makeTableDeliveryLog(table);
    await log.record([attempt(3, "2026-01-01T10:00:02.000Z")]);
    const { webhookId: _, ...earlier } = attempt(2, "2026-01-01T10:00:01.000Z");
    await table.createEntity({
      partitionKey: "wh1|8232399198",
      rowKey: "8232399198999_msg_1_002",
      at: earlier.at,
      count: 1,
      attempts: JSON.stringify([earlier]),
    });
    expect((await log.list("wh1", 10)).map((a) => a.attempt)).toEqual([3, 2]);
    expect((await log.list("wh1", 1)).map((a) => a.attempt)).toEqual([3]);
  });

  it("reads rows written one attempt per row (before packing)", async () => {
    const table = tableClient(freshTableName("Attempts"));
    await table.createTable();
    const old = attempt(3, "2026-01-01T10:00:00.000Z");
    await table.createEntity({ partitionKey: "wh1|0001234567", rowKey: "8232_msg_1_003", ...old });
    expect(await makeTableDeliveryLog(table).list("wh1", 10)).toEqual([old]);
  });

  it("purges attempts older than the retention cut-off", async () => {
    const log = makeTableDeliveryLog(tableClient(freshTableName("Attempts")));
    await log.record([attempt(1, "2025-01-01T00:00:00.000Z"), attempt(3, "2026-01-01T00:00:00.000Z")]);
    expect(await log.purge(new Date("2025-06-01T00:00:00Z"))).toBe(1);
    expect((await log.list("wh1", 10)).map((a) => a.attempt)).toEqual([3]);
  });
});

describe("dead letters (Azurite)", () => {
  const letter: DeadLetter = {
    deliveryId: "msg_a",
    webhookId: "wh1",
    eventId: "0:42",
    url: "https://receiver.example/hook",
    body: JSON.stringify({ name: "ping", payload: {} }),
    headers: { authorization: "Bearer t" },
    attempts: 8,
    lastStatus: 503,
    reason: "retries exhausted",
    firstAttemptAt: "2026-01-01T00:00:00.000Z",
    deadLetteredAt: "2026-01-01T03:00:00.000Z",
  };

  it("stores, reads, filters by webhook and deletes", async () => {
    const store = makeTableDeadLetterStore(tableClient(freshTableName("DeadLetters")));
    await store.put([letter, { ...letter, deliveryId: "msg_b", webhookId: "wh2", lastError: "timeout" }]);
    expect((await store.get("msg_a"))?.letter).toEqual(letter);
    expect((await store.list({ webhookId: "wh2" })).map((l) => l.deliveryId)).toEqual(["msg_b"]);
    expect(await store.list()).toHaveLength(2);
    expect(await store.remove("msg_a")).toBe("removed");
    expect(await store.remove("msg_a")).toBe("absent");
    expect(await store.get("msg_a")).toBeUndefined();
  });

  it("removes only the version it read when given its ETag", async () => {
    const store = makeTableDeadLetterStore(tableClient(freshTableName("DeadLetters")));
    await store.put([letter]);
    const read = await store.get("msg_a");
    await store.put([{ ...letter, attempts: 16, deadLetteredAt: "2026-01-01T05:00:00.000Z" }]);
    expect(await store.remove("msg_a", read?.etag)).toBe("changed");
    const again = await store.get("msg_a");
    expect(again?.letter.attempts).toBe(16);
    expect(await store.remove("msg_a", again?.etag)).toBe("removed");
    expect(await store.get("msg_a")).toBeUndefined();
  });

  it("keeps one row per delivery when the same delivery is dead-lettered again", async () => {
    const store = makeTableDeadLetterStore(tableClient(freshTableName("DeadLetters")));
    await store.put([letter]);
    await store.put([{ ...letter, attempts: 16 }]);
    expect((await store.list()).map((l) => l.attempts)).toEqual([16]);
  });

  it("gives back the delivery with the same id and message for replay", () => {
    expect(deliveryOf(letter)).toEqual({
      id: "msg_a",
      eventId: "0:42",
      webhookId: "wh1",
      message: { name: "ping", payload: {} },
    });
  });
});

describe("rejected events (Azurite)", () => {
  it("records each rejection once per (partition, sequence number), with the raw body capped at 32 KB", async () => {
    const store = makeTableRejectedEventsStore(tableClient(freshTableName("Rejected")));
    const huge = "x".repeat(40_000);
    const rejected = {
      hub: "io-events",
      partitionId: "1",
      sequenceNumber: 7,
      reasons: ["invalid JSON"],
      raw: huge,
    };
    await store.record([rejected]);
    await store.record([rejected]);
    const listed = await store.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]?.raw.length).toBe(32 * 1024);
    expect(listed[0]?.reasons).toEqual(["invalid JSON"]);
  });

  it("never splits a multi-byte character when capping", () => {
    const capped = capUtf8("é".repeat(10), 5);
    expect(capped).toEqual({ text: "éé", truncated: true });
  });
});
