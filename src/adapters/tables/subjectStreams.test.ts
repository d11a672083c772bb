import type { TableClient } from "@azure/data-tables";

import { type OrderedCandidate, streamKey } from "../../domain/ordering";
import { freshTableName, tableClient } from "../../test-support/storage";
import { makeTableSubjectStreams } from "./subjectStreams";

const candidate = (deliveryId: string, subjectId: string, sequenceNumber: number, webhookId = "wh1") =>
  ({ deliveryId, webhookId, subjectId, partitionId: "0", sequenceNumber }) satisfies OrderedCandidate;

const numbersOf = (sequences: ReadonlyMap<string, { n: number; previousId?: string }>) =>
  Object.fromEntries([...sequences].map(([id, s]) => [id, [s.n, s.previousId ?? null]]));

describe("subject streams (Azurite)", () => {
  it("numbers a batch durably: another process (no cache) goes on from there, and a redelivered batch keeps its numbers", async () => {
    const table = freshTableName("Streams");
    const first = makeTableSubjectStreams(tableClient(table));
    const batch1 = [candidate("a1", "A", 0), candidate("b1", "B", 1), candidate("a2", "A", 2)];
    expect(numbersOf((await first.number(batch1)).sequences)).toEqual({
      a1: [1, null],
      b1: [1, null],
      a2: [2, "a1"],
    });
    // A second process: the same batch again (redelivered after a crash), then the next one.
    const second = makeTableSubjectStreams(tableClient(table));
    const again = await second.number(batch1);
    expect(numbersOf(again.sequences)).toEqual({ a1: [1, null], b1: [1, null], a2: [2, "a1"] });
    expect(again.settledBefore).toEqual([]);
    expect(numbersOf((await second.number([candidate("a3", "A", 3)])).sequences)).toEqual({ a3: [3, "a2"] });
    // The first process's cache is stale now: its write is refused by the ETag, it reads again and goes on.
    expect(numbersOf((await first.number([candidate("a4", "A", 4)])).sequences)).toEqual({ a4: [4, "a3"] });
  });

  it("settles in order, deletes the numbers it settled, and reports what a redelivered batch already settled", async () => {
    const table = freshTableName("Streams");
    const streams = makeTableSubjectStreams(tableClient(table));
    await streams.number([candidate("a1", "A", 0), candidate("a2", "A", 1)]);
    await streams.apply([
      { webhookId: "wh1", subjectId: "A", event: { kind: "delivered", n: 1, deliveryId: "a1" } },
    ]);
    const other = makeTableSubjectStreams(tableClient(table));
    expect((await other.progress([{ webhookId: "wh1", subjectId: "A" }])).get(streamKey("wh1", "A"))).toEqual(
      {
        settledSeq: 1,
        settledDeliveryId: "a1",
        state: "flowing",
      },
    );
    const redelivered = await other.number([candidate("a1", "A", 0), candidate("a2", "A", 1)]);
    expect(redelivered.settledBefore).toEqual(["a1"]);
    expect(numbersOf(redelivered.sequences)).toEqual({ a2: [2, "a1"] });
  });

  it("lists held subjects by state, and a stale cache re-reads when it says a delivery is held", async () => {
    const table = freshTableName("Streams");
    const delivery = makeTableSubjectStreams(tableClient(table));
    const operator = makeTableSubjectStreams(tableClient(table));
    await delivery.number([candidate("a1", "A", 0), candidate("a2", "A", 1), candidate("b1", "B", 2)]);
    const at = "2026-12-02T00:00:00.000Z";
    await delivery.apply([
      {
        webhookId: "wh1",
        subjectId: "A",
        event: { kind: "failed", n: 1, deliveryId: "a1", attempts: 1, at, lastStatus: 503 },
      },
      {
        webhookId: "wh1",
        subjectId: "B",
        event: { kind: "dead-lettered", n: 1, deliveryId: "b1", at, block: true, attempts: 3 },
      },
    ]);
    expect((await operator.held("wh1")).map((h) => [h.subjectId, h.progress.state]).sort()).toEqual([
      ["A", "waiting"],
      ["B", "blocked"],
    ]);
    expect((await operator.held("wh1", "blocked")).map((h) => h.subjectId)).toEqual(["B"]);
    expect(await operator.held("wh2")).toEqual([]);
    // The operator skips B; the delivery side's cache still says blocked, but asked about n = 2 it reads again.
    await operator.apply([
      { webhookId: "wh1", subjectId: "B", event: { kind: "skipped", n: 1, deliveryId: "b1" } },
    ]);
    const seen = await delivery.progress(
      [{ webhookId: "wh1", subjectId: "B" }],
      new Map([[streamKey("wh1", "B"), 2]]),
    );
    expect(seen.get(streamKey("wh1", "B"))?.settledSeq).toBe(1);
    // A concurrent write from a stale cache is refused and re-applied on fresh state, never lost.
    await delivery.apply([
      { webhookId: "wh1", subjectId: "B", event: { kind: "delivered", n: 2, deliveryId: "b2" } },
    ]);
    expect((await operator.get("wh1", "B"))?.settledSeq).toBe(2);
  });

  it("a settlement applied on a cache that lags (another process settled since) is applied on storage, not dropped", async () => {
    const table = freshTableName("Streams");
    const first = makeTableSubjectStreams(tableClient(table));
    const second = makeTableSubjectStreams(tableClient(table));
    const ref = { webhookId: "wh1", subjectId: "A" };
    await first.number([candidate("a1", "A", 0), candidate("a2", "A", 1), candidate("a3", "A", 2)]);
    await first.apply([{ ...ref, event: { kind: "delivered", n: 1, deliveryId: "a1" } }]);
    expect((await first.progress([ref])).get(streamKey("wh1", "A"))?.settledSeq).toBe(1);
    // The second process settles n = 2; the first one's cache still says 1 when it settles n = 3.
    await second.apply([{ ...ref, event: { kind: "delivered", n: 2, deliveryId: "a2" } }]);
    const after = await first.apply([{ ...ref, event: { kind: "delivered", n: 3, deliveryId: "a3" } }]);
    expect(after.get(streamKey("wh1", "A"))?.settledSeq).toBe(3);
    expect((await second.get("wh1", "A"))?.settledSeq).toBe(3);
  });

  it("a read that started before a settlement does not put the older progress back in the cache", async () => {
    const table = freshTableName("Streams");
    const client = tableClient(table);
    // The read of the progress row is held until the settlement below has been written.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holdNextRead = false;
    const slowReads = new Proxy(client, {
      get(target, property, receiver) {
        if (property !== "getEntity") return Reflect.get(target, property, receiver) as unknown;
        return async (...args: Parameters<TableClient["getEntity"]>) => {
          const answer = await target.getEntity(...args);
          if (holdNextRead && String(args[1]).startsWith("p|")) {
            holdNextRead = false;
            await held;
          }
          return answer;
        };
      },
    });
    const streams = makeTableSubjectStreams(slowReads);
    const ref = { webhookId: "wh1", subjectId: "A" };
    const key = streamKey("wh1", "A");
    await streams.number([candidate("a1", "A", 0), candidate("a2", "A", 1), candidate("a3", "A", 2)]);
    await streams.apply([{ ...ref, event: { kind: "delivered", n: 1, deliveryId: "a1" } }]);
    // A delivery held behind n = 2 looks (its cache says held, so it reads storage: settled 1)...
    holdNextRead = true;
    const look = streams.progress([ref], new Map([[key, 3]]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // ...while n = 2 settles; then the look's older answer arrives.
    await streams.apply([{ ...ref, event: { kind: "delivered", n: 2, deliveryId: "a2" } }]);
    release();
    await look;
    // n = 3 settles from the cache: it must know n = 2 settled.
    await streams.apply([{ ...ref, event: { kind: "delivered", n: 3, deliveryId: "a3" } }]);
    expect((await makeTableSubjectStreams(tableClient(table)).get("wh1", "A"))?.settledSeq).toBe(3);
  });

  it("keeps the ETag each write returns (updates included): the process that created a stream settles it without reading, another reads once", async () => {
    const table = freshTableName("Streams");
    const reads = { creator: 0, other: 0 };
    const streams = makeTableSubjectStreams(
      counting(tableClient(table), (op, rowKey) => {
        if (op === "getEntity" && rowKey.startsWith("p|")) reads.creator++;
      }),
    );
    const ref = { webhookId: "wh1", subjectId: "A" };
    await streams.number([1, 2, 3, 4].map((i) => candidate(`a${i}`, "A", i)));
    for (const n of [1, 2])
      await streams.apply([{ ...ref, event: { kind: "delivered", n, deliveryId: `a${n}` } }]);
    // This process created the stream's cursor, so it knows there was no progress yet: nothing to read.
    expect(reads.creator).toBe(0);
    const other = makeTableSubjectStreams(
      counting(tableClient(table), (op, rowKey) => {
        if (op === "getEntity" && rowKey.startsWith("p|")) reads.other++;
      }),
    );
    for (const n of [3, 4])
      await other.apply([{ ...ref, event: { kind: "delivered", n, deliveryId: `a${n}` } }]);
    expect(reads.other).toBe(1);
    expect((await makeTableSubjectStreams(tableClient(table)).get("wh1", "A"))?.settledSeq).toBe(4);
  });

  it("numbers unseen subjects without reading their cursors while they have been new; a wrong guess costs one refused transaction and the reads, and changes no number", async () => {
    const table = freshTableName("Streams");
    const first = makeTableSubjectStreams(tableClient(table));
    await first.number([candidate("a1", "A", 0), candidate("b1", "B", 1)]);
    const ops = { cursorReads: 0, transactions: 0 };
    const second = makeTableSubjectStreams(
      counting(tableClient(table), (op, rowKey) => {
        if (op === "getEntity" && rowKey.startsWith("c|")) ops.cursorReads++;
        if (op === "submitTransaction") ops.transactions++;
      }),
    );
    const tally = async (batch: ReadonlyArray<OrderedCandidate>) => {
      ops.cursorReads = 0;
      ops.transactions = 0;
      const numbered = numbersOf((await second.number(batch)).sequences);
      return { numbered, ...ops };
    };
    // A process new to the webhook guesses that its subjects are new: A is not, so the transaction is refused,
    // A and C are read, and both are numbered from storage.
    expect(await tally([candidate("a2", "A", 2), candidate("c1", "C", 3)])).toEqual({
      numbered: { a2: [2, "a1"], c1: [1, null] },
      cursorReads: 2,
      transactions: 2,
    });
    // Half of what it did not know was new: it reads until new subjects are the rule again (three batches).
    expect(await tally([candidate("d1", "D", 4)])).toEqual({
      numbered: { d1: [1, null] },
      cursorReads: 1,
      transactions: 1,
    });
    expect(await tally([candidate("e1", "E", 5)])).toEqual({
      numbered: { e1: [1, null] },
      cursorReads: 1,
      transactions: 1,
    });
    expect(await tally([candidate("f1", "F", 6)])).toEqual({
      numbered: { f1: [1, null] },
      cursorReads: 0,
      transactions: 1,
    });
    // Known streams come from the cache whatever the guess.
    expect(await tally([candidate("a3", "A", 7), candidate("f2", "F", 8)])).toEqual({
      numbered: { a3: [3, "a2"], f2: [2, "f1"] },
      cursorReads: 0,
      transactions: 1,
    });
    expect(
      (await makeTableSubjectStreams(tableClient(table)).number([candidate("a4", "A", 9)])).sequences.get(
        "a4",
      ),
    ).toMatchObject({ n: 4, previousId: "a3" });
  });

  it("keeps at most the streams it is told to: a dropped one is read again and numbered right", async () => {
    const table = freshTableName("Streams");
    const rows: string[] = [];
    const streams = makeTableSubjectStreams(
      counting(tableClient(table), (op, rowKey) => {
        if (op === "getEntity") rows.push(rowKey);
      }),
      { cachedStreams: 2 },
    );
    for (const subject of ["A", "B", "C"]) await streams.number([candidate(`${subject}1`, subject, 0)]);
    expect(rows).toEqual([]);
    // C and B are cached: no read. A was dropped: its cursor is guessed new, refused, read, numbered on.
    await streams.number([candidate("C2", "C", 1), candidate("B2", "B", 2)]);
    expect(rows).toEqual([]);
    const again = await streams.number([candidate("A2", "A", 3)]);
    expect(numbersOf(again.sequences)).toEqual({ A2: [2, "A1"] });
    expect(rows).toEqual(["c|A"]);
    // Its progress was dropped too: settling reads it once, and the settlement lands.
    await streams.apply([
      { webhookId: "wh1", subjectId: "A", event: { kind: "delivered", n: 1, deliveryId: "A1" } },
    ]);
    expect(rows.filter((r) => r.startsWith("p|"))).toEqual(["p|A"]);
    expect((await makeTableSubjectStreams(tableClient(table)).get("wh1", "A"))?.settledSeq).toBe(1);
  });

  it("a refused transaction of one webhook leaves another webhook's numbers committed and unread", async () => {
    const table = freshTableName("Streams");
    await makeTableSubjectStreams(tableClient(table)).number([candidate("a1", "A", 0, "wh1")]);
    const rows: string[] = [];
    const streams = makeTableSubjectStreams(
      counting(tableClient(table), (op, rowKey, partitionKey) => {
        if (op === "getEntity") rows.push(`${partitionKey}/${rowKey}`);
      }),
    );
    const result = await streams.number([candidate("a2", "A", 1, "wh1"), candidate("x1", "X", 2, "wh2")]);
    expect(numbersOf(result.sequences)).toEqual({ a2: [2, "a1"], x1: [1, null] });
    expect(rows).toEqual(["wh1/c|A"]);
  });
});

/** The table client, telling `seen` about each point read (row key, partition key) and each transaction. */
const counting = (
  client: TableClient,
  seen: (op: "getEntity" | "submitTransaction", rowKey: string, partitionKey: string) => void,
): TableClient =>
  new Proxy(client, {
    get(target, property, receiver) {
      if (property === "getEntity")
        return (...args: Parameters<TableClient["getEntity"]>) => {
          seen("getEntity", String(args[1]), String(args[0]));
          return target.getEntity(...args);
        };
      if (property === "submitTransaction")
        return (...args: Parameters<TableClient["submitTransaction"]>) => {
          seen("submitTransaction", "", "");
          return target.submitTransaction(...args);
        };
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
