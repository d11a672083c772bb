import { randomBytes } from "node:crypto";

import fc from "fast-check";

import {
  asciiJson,
  CHUNK_CHARS,
  COMPRESS_CHARS,
  fromRows,
  packInline,
  splitText,
  toRows,
  unpackInline,
} from "./packing";

/** Text that deflate cannot shrink much, so row counts follow its length. */
const incompressible = (chars: number): string =>
  JSON.stringify(randomBytes(chars).toString("base64").slice(0, chars));

describe("packing text into Table Storage properties", () => {
  it("round-trips any JSON value through rows, with only ASCII stored", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: "binary", maxLength: 200 }), (value, text) => {
        const json = JSON.stringify({ value, text });
        const rows = toRows(json);
        const stored = rows.flatMap((r) => Object.values(r).filter((v) => typeof v === "string"));
        expect(stored.every((s) => [...s].every((c) => c.charCodeAt(0) < 0x7f))).toBe(true);
        expect(JSON.parse(fromRows([...rows].reverse())!)).toEqual(JSON.parse(json));
      }),
    );
  });

  it("splits long text into chunks that fit a 64 KiB property and 14 chunks per entity", () => {
    const json = incompressible(CHUNK_CHARS * 20);
    const rows = toRows(json);
    expect(rows).toHaveLength(2);
    expect(
      rows.every((r) => Object.values(r).every((v) => typeof v !== "string" || v.length <= CHUNK_CHARS)),
    ).toBe(true);
    expect(fromRows(rows)).toBe(json);
  });

  it("never splits a surrogate pair", () => {
    const chunks = splitText("a😀😀", 2);
    expect(chunks).toEqual(["a", "😀", "😀"]);
  });

  it("reports a missing row instead of returning partial text", () => {
    const rows = toRows(incompressible(CHUNK_CHARS * 15));
    expect(rows.length).toBeGreaterThan(1);
    expect(fromRows(rows.slice(1))).toBeUndefined();
  });

  it("stores long repetitive text deflated, and short text as it is", () => {
    const history = JSON.stringify(
      Array.from({ length: 2000 }, (_, i) => ({
        EventType: 5,
        Name: "scheduleActivity",
        EventId: i,
        é: "ü",
      })),
    );
    const rows = toRows(history);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.z).toBe(1);
    const stored = Object.entries(rows[0]!)
      .filter(([k]) => k.startsWith("d"))
      .map(([, v]) => String(v))
      .join("");
    expect(stored.length).toBeLessThan(history.length / 10);
    expect(fromRows(rows)).toBe(asciiJson(history));
    const short = JSON.stringify("x".repeat(COMPRESS_CHARS - 2));
    expect(toRows(short)[0]).toEqual({ d0: short, parts: 1, part: 0 });
  });

  it("escapes non-ASCII as JSON escapes and packs inline properties", () => {
    expect(asciiJson('"é😀"')).toBe('"\\u00e9\\ud83d\\ude00"');
    const row = packInline("input", '{"name":"Zoë"}');
    expect(JSON.parse(unpackInline(row, "input")!)).toEqual({ name: "Zoë" });
    expect(unpackInline({}, "input")).toBeUndefined();
  });
});
