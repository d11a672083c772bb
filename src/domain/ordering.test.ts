import fc from "fast-check";

import {
  assignSequences,
  chunkByStream,
  EMPTY_CURSOR,
  INITIAL_PROGRESS,
  type OrderedCandidate,
  progressAfter,
  readiness,
  sequenceHeaders,
  streamKey,
  type SubjectCursor,
  subjectIdOf,
  type SubjectProgress,
} from "./ordering";

const candidate = (deliveryId: string, subjectId: string, sequenceNumber: number, partitionId = "0") =>
  ({ deliveryId, webhookId: "wh1", subjectId, partitionId, sequenceNumber }) satisfies OrderedCandidate;

describe("subjectIdOf", () => {
  it("is opaque and stable per (webhook, subject)", () => {
    const id = subjectIdOf("wh1", "RSSMRA80A01H501U");
    expect(id).toMatch(/^sub_[A-Za-z0-9_-]{22}$/);
    expect(id).not.toContain("RSSMRA");
    expect(subjectIdOf("wh1", "RSSMRA80A01H501U")).toBe(id);
    expect(subjectIdOf("wh2", "RSSMRA80A01H501U")).not.toBe(id);
  });
});

describe("assignSequences", () => {
  const none = (): SubjectCursor => EMPTY_CURSOR;

  it.each([
    {
      name: "numbers a fresh stream 1, 2, 3 with each previous id",
      cursor: EMPTY_CURSOR,
      batch: [candidate("d1", "A", 10), candidate("d2", "A", 11), candidate("d3", "A", 12)],
      expected: [
        ["d1", 1, undefined],
        ["d2", 2, "d1"],
        ["d3", 3, "d2"],
      ],
      known: [],
    },
    {
      name: "goes on from the cursor",
      cursor: { lastSeq: 7, lastDeliveryId: "d0", watermarks: { "0": 9 } },
      batch: [candidate("d1", "A", 10)],
      expected: [["d1", 8, "d0"]],
      known: [],
    },
    {
      name: "recognises a redelivered batch by the partition's watermark",
      cursor: { lastSeq: 2, lastDeliveryId: "d2", watermarks: { "0": 11 } },
      batch: [candidate("d1", "A", 10), candidate("d2", "A", 11), candidate("d3", "A", 12)],
      expected: [["d3", 3, "d2"]],
      known: ["d1", "d2"],
    },
    {
      name: "keeps watermarks per partition",
      cursor: { lastSeq: 2, lastDeliveryId: "d2", watermarks: { "1": 500 } },
      batch: [candidate("d3", "A", 10, "0")],
      expected: [["d3", 3, "d2"]],
      known: [],
    },
  ])("$name", ({ cursor, batch, expected, known }) => {
    const result = assignSequences(() => cursor, batch);
    expect(result.assigned.map((a) => [a.candidate.deliveryId, a.sequence.n, a.sequence.previousId])).toEqual(
      expected,
    );
    expect(result.known.map((c) => c.deliveryId)).toEqual(known);
  });

  it("numbers several deliveries of one event in plan order, and subjects independently", () => {
    const result = assignSequences(none, [
      candidate("a1", "A", 5),
      candidate("b1", "B", 5),
      candidate("a2", "A", 5),
    ]);
    expect(result.assigned.map((a) => [a.candidate.deliveryId, a.sequence.n])).toEqual([
      ["a1", 1],
      ["b1", 1],
      ["a2", 2],
    ]);
    expect(result.cursors.get(streamKey("wh1", "A"))).toEqual({
      lastSeq: 2,
      lastDeliveryId: "a2",
      watermarks: { "0": 5 },
    });
  });
});

describe("readiness and progressAfter", () => {
  const at = "2026-12-02T00:00:00.000Z";
  it.each([
    [INITIAL_PROGRESS, 1, "ready"],
    [INITIAL_PROGRESS, 2, "held"],
    [{ settledSeq: 3, state: "flowing" }, 3, "settled"],
    [{ settledSeq: 3, state: "flowing" }, 4, "ready"],
  ] as const)("progress %j, delivery %i: %s", (progress, n, expected) => {
    expect(readiness(progress, n)).toBe(expected);
  });

  it("a failure holds the stream at its head; a later 2xx settles it and flows again", () => {
    const waiting = progressAfter(INITIAL_PROGRESS, {
      kind: "failed",
      n: 1,
      deliveryId: "d1",
      attempts: 1,
      at,
      lastStatus: 503,
      nextAttemptAt: "2026-12-02T00:00:05.000Z",
      holder: "dispatch:1",
    });
    expect(waiting).toMatchObject({
      settledSeq: 0,
      state: "waiting",
      head: { deliveryId: "d1", n: 1, attempts: 1, since: at, lastStatus: 503, holder: "dispatch:1" },
    });
    expect(readiness(waiting, 2)).toBe("held");
    const settled = progressAfter(waiting, { kind: "delivered", n: 1, deliveryId: "d1" });
    expect(settled).toEqual({ settledSeq: 1, settledDeliveryId: "d1", state: "flowing" });
    expect(readiness(settled, 2)).toBe("ready");
  });

  it("a dead letter moves past the head, or blocks the stream until an operator skips it", () => {
    const dead = { kind: "dead-lettered", n: 1, deliveryId: "d1", at, attempts: 8 } as const;
    expect(progressAfter(INITIAL_PROGRESS, { ...dead, block: false }).settledSeq).toBe(1);
    const blocked = progressAfter(INITIAL_PROGRESS, { ...dead, block: true });
    expect(blocked).toMatchObject({ settledSeq: 0, state: "blocked", head: { n: 1, attempts: 8 } });
    expect(progressAfter(blocked, { kind: "failed", n: 1, deliveryId: "d1", attempts: 9, at }).state).toBe(
      "blocked",
    );
    expect(progressAfter(blocked, { kind: "skipped", n: 1, deliveryId: "d1" })).toEqual({
      settledSeq: 1,
      settledDeliveryId: "d1",
      state: "flowing",
    });
  });

  it("is idempotent: an event about a settled or a later delivery changes nothing", () => {
    const one: SubjectProgress = { settledSeq: 1, settledDeliveryId: "d1", state: "flowing" };
    expect(progressAfter(one, { kind: "delivered", n: 1, deliveryId: "d1" })).toBe(one);
    expect(progressAfter(one, { kind: "delivered", n: 3, deliveryId: "d3" })).toBe(one);
  });
});

describe("sequenceHeaders", () => {
  it("names the previous delivery except for the first", () => {
    expect(sequenceHeaders({ n: 1 })).toEqual({ "webhook-sequence": "1" });
    expect(sequenceHeaders({ n: 2, previousId: "msg_1" })).toEqual({
      "webhook-sequence": "2",
      "webhook-previous-id": "msg_1",
    });
  });
});

describe("chunkByStream", () => {
  const item = (id: string, subjectId?: string, n = 0) => ({
    id,
    delivery: {
      webhookId: "wh1",
      ...(subjectId === undefined ? {} : { subject: subjectId, sequence: { n } }),
    },
  });
  it("keeps a stream's deliveries together and in order, and unordered ones in plan order", () => {
    const chunks = chunkByStream(
      [item("u1"), item("a2", "A", 2), item("b1", "B", 1), item("a1", "A", 1), item("u2")],
      2,
    );
    expect(chunks.map((c) => c.map((i) => i.id))).toEqual([["u1"], ["a1", "a2"], ["b1", "u2"]]);
  });
});

/**
 * The property: whatever the receiver answers, in whatever order the streams make progress, what is sent per
 * stream (first sends of each delivery) is 1, 2, 3, ... with no gaps, and n + 1 goes only after n settled.
 */
describe("ordering property", () => {
  type Outcome = "ok" | "fail" | "permanent";
  const MAX_ATTEMPTS = 3;

  it("sends each subject's deliveries strictly in order, gapless except for dead letters, never past a block", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.constantFrom<Outcome>("ok", "fail", "permanent"), { minLength: 1, maxLength: 200 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 200 }),
        fc.boolean(),
        (lengths, outcomes, picks, block) => {
          const progress = lengths.map((): SubjectProgress => INITIAL_PROGRESS);
          const attempts = lengths.map(() => 0);
          const sent: number[][] = lengths.map(() => []);
          const deadLettered: number[][] = lengths.map(() => []);
          let step = 0;
          for (const pick of picks) {
            const s = pick % lengths.length;
            const state = progress[s] as SubjectProgress;
            // The scheduler looks at every not-yet-settled delivery and sends only what readiness allows.
            const candidates = Array.from({ length: lengths[s] as number }, (_, i) => i + 1).filter(
              (n) => readiness(state, n) === "ready",
            );
            const n = candidates[0];
            if (n === undefined || state.state === "blocked") continue;
            const outcome = outcomes[step++ % outcomes.length] as Outcome;
            const id = `d${n}`;
            if (sent[s]?.[sent[s].length - 1] !== n) sent[s]?.push(n);
            attempts[s] = (attempts[s] ?? 0) + 1;
            let next: SubjectProgress;
            if (outcome === "ok") next = progressAfter(state, { kind: "delivered", n, deliveryId: id });
            else if (outcome === "permanent" || (attempts[s] ?? 0) >= MAX_ATTEMPTS) {
              deadLettered[s]?.push(n);
              next = progressAfter(state, {
                kind: "dead-lettered",
                n,
                deliveryId: id,
                at: "t",
                block,
                attempts: attempts[s] ?? 0,
              });
            } else next = progressAfter(state, { kind: "failed", n, deliveryId: id, attempts: 1, at: "t" });
            if (next.settledSeq > state.settledSeq) attempts[s] = 0;
            progress[s] = next;
          }
          lengths.forEach((_, s) => {
            const order = sent[s] ?? [];
            // Strictly increasing and gapless: 1, 2, ..., k.
            expect(order).toEqual(order.map((_, i) => i + 1));
            const state = progress[s] as SubjectProgress;
            // Everything sent before the last one settled; the last is settled or is the held head.
            expect(state.settledSeq).toBeGreaterThanOrEqual(order.length - 1);
            if (block && state.state === "blocked") {
              // Nothing after a blocked head was sent.
              expect(order[order.length - 1]).toBe(state.settledSeq + 1);
            }
            if (!block) expect(state.state).not.toBe("blocked");
          });
        },
      ),
    );
  });
});
