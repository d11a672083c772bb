import fc from "fast-check";

import { asciiJson, CHUNK_CHARS, fromRows, packInline, splitText, toRows, unpackInline } from "./packing";

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
    const json = JSON.stringify("x".repeat(CHUNK_CHARS * 20));
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
    const rows = toRows(JSON.stringify("y".repeat(CHUNK_CHARS * 15)));
    expect(fromRows(rows.slice(1))).toBeUndefined();
  });

  it("escapes non-ASCII as JSON escapes and packs inline properties", () => {
    expect(asciiJson('"é😀"')).toBe('"\\u00e9\\ud83d\\ude00"');
    const row = packInline("input", '{"name":"Zoë"}');
    expect(JSON.parse(unpackInline(row, "input")!)).toEqual({ name: "Zoë" });
    expect(unpackInline({}, "input")).toBeUndefined();
  });
});
