import fc from "fast-check";

import { CompactEvents, type PackedEvent } from "./compactEvents";

const packed = (i: number, size: number, key?: string): PackedEvent => ({
  offset: i * 1_000_000_007, // past 2^32: offsets are byte positions of a long log
  enqueuedTimeMs: 1_700_000_000_000 + i,
  partitionKey: key,
  delivered: Buffer.alloc(size, i % 251),
});

const plain = (e: PackedEvent | undefined) =>
  e === undefined ? undefined : { ...e, delivered: Buffer.from(e.delivered).toString("hex") };

describe("CompactEvents", () => {
  it("gives back every event as pushed, across chunks, with keys and a message larger than a chunk", () => {
    const events = new CompactEvents();
    const pushed = Array.from({ length: 3000 }, (_, i) =>
      packed(i, i === 1234 ? 3 << 20 : 200 + (i % 700), i % 3 === 0 ? undefined : `k😀${i}`),
    );
    pushed.forEach((e) => events.push(e));
    expect(events.length).toBe(3000);
    expect(pushed.map((_, i) => plain(events.at(i)))).toEqual(pushed.map(plain));
    expect(events.at(3000)).toBeUndefined();
    expect(events.at(-1)).toBeUndefined();
  });

  it("drops events past a truncate and stores the next ones in their place", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 400_000 }), { minLength: 1, maxLength: 12 }),
        fc.nat(),
        (sizes, cut) => {
          const events = new CompactEvents();
          sizes.forEach((size, i) => events.push(packed(i, size, `k${i}`)));
          const keep = cut % (sizes.length + 1);
          events.truncate(keep);
          const next = packed(99, 1000, "next");
          events.push(next);
          expect(events.length).toBe(keep + 1);
          expect(plain(events.at(keep))).toEqual(plain(next));
          for (let i = 0; i < keep; i++)
            expect(plain(events.at(i))).toEqual(plain(packed(i, sizes[i]!, `k${i}`)));
        },
      ),
      { numRuns: 50 },
    );
  });
});
