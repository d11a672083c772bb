import { inflateSync } from "node:zlib";

import { renderChart } from "./chart";
import { crc32, PNG_SIGNATURE, Raster } from "./png";

/** Splits a PNG into its chunks, checking each CRC. */
const chunksOf = (png: Buffer): Array<{ type: string; data: Buffer }> => {
  const chunks: Array<{ type: string; data: Buffer }> = [];
  let at = PNG_SIGNATURE.length;
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const typed = png.subarray(at + 4, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(typed));
    chunks.push({ type: typed.subarray(0, 4).toString("ascii"), data: typed.subarray(4) });
    at += 12 + length;
  }
  return chunks;
};

describe("png", () => {
  it("computes the standard CRC-32", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32(Buffer.from("IEND"))).toBe(0xae426082);
  });

  it("encodes signature, IHDR, IDAT and IEND with the pixels it was given", () => {
    const raster = new Raster(3, 2, [255, 255, 255]);
    raster.set(1, 0, [10, 20, 30]);
    raster.fillRect(0, 1, 3, 1, [1, 2, 3]);
    const png = raster.encode();
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    const chunks = chunksOf(png);
    expect(chunks.map((c) => c.type)).toEqual(["IHDR", "IDAT", "IEND"]);
    const header = chunks[0]!.data;
    expect([header.readUInt32BE(0), header.readUInt32BE(4), header[8], header[9]]).toEqual([3, 2, 8, 2]);
    const rows = inflateSync(chunks[1]!.data);
    expect([...rows]).toEqual([0, 255, 255, 255, 10, 20, 30, 255, 255, 255, 0, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
  });

  it("renders a chart whose pixels are not all background", () => {
    const png = renderChart(
      [
        {
          title: "t",
          xLabel: "x",
          yLabel: "y",
          logY: true,
          series: [
            {
              label: "a",
              color: [255, 0, 0],
              points: [
                [1, 10],
                [2, 100],
              ],
            },
          ],
        },
      ],
      200,
      150,
    );
    const rows = inflateSync(chunksOf(png)[1]!.data);
    const red = [...Array(rows.length / 3).keys()].some(
      (i) => rows[i * 3] === 255 && rows[i * 3 + 1] === 0 && rows[i * 3 + 2] === 0,
    );
    expect(red).toBe(true);
  });
});
