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

  it("keeps the ETag each write returns (updates included): settling one after another reads storage once", async () => {
    const table = freshTableName("Streams");
    const client = tableClient(table);
    let reads = 0;
    const counting = new Proxy(client, {
      get(target, property, receiver) {
        if (property !== "getEntity") return Reflect.get(target, property, receiver) as unknown;
        return (...args: Parameters<TableClient["getEntity"]>) => {
          if (String(args[1]).startsWith("p|")) reads++;
          return target.getEntity(...args);
        };
      },
    });
    const streams = makeTableSubjectStreams(counting);
    const ref = { webhookId: "wh1", subjectId: "A" };
    await streams.number([1, 2, 3, 4].map((i) => candidate(`a${i}`, "A", i)));
    for (const n of [1, 2, 3, 4])
      await streams.apply([{ ...ref, event: { kind: "delivered", n, deliveryId: `a${n}` } }]);
    expect(reads).toBe(1);
    expect((await makeTableSubjectStreams(tableClient(table)).get("wh1", "A"))?.settledSeq).toBe(4);
  });
});
