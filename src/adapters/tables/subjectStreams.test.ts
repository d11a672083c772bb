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
});
