import { renderBars, renderChart, toSvg } from "./chart";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The PNG's width and height from its IHDR chunk. */
const size = (png: Buffer): { width: number; height: number } => ({
  width: png.readUInt32BE(16),
  height: png.readUInt32BE(20),
});

describe("bench charts (vega-lite -> vega SVG -> resvg PNG)", () => {
  it("draws line panels with their titles, axis labels and legend as text", async () => {
    const panel = {
      title: "Throughput",
      xLabel: "offered load (deliveries/s)",
      yLabel: "deliveries/s",
      series: [
        {
          label: "pipeline",
          color: [31, 119, 180] as const,
          points: [
            [50, 50],
            [300, 290],
          ] as const,
        },
        {
          label: "raw ceiling",
          color: [44, 160, 44] as const,
          reference: true,
          points: [
            [0, 900],
            [300, 900],
          ] as const,
        },
      ],
    };
    const svg = await toSvg({
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      data: { values: [{ a: 1 }] },
      mark: "point",
      encoding: { x: { field: "a", type: "quantitative", title: "offered load" } },
    });
    expect(svg).toContain("offered load");
    const png = await renderChart([panel, { ...panel, title: "Latency", logY: true }], 400, 200);
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    const { width, height } = size(png);
    expect(width).toBeGreaterThan(400);
    expect(height).toBeGreaterThan(400);
  });

  it("draws grouped bars", async () => {
    const png = await renderBars({
      title: "Cost per 1,000 deliveries",
      yLabel: "per 1,000 deliveries",
      bars: [
        { category: "durable actions", group: "single", value: 30 },
        { category: "durable actions", group: "retries", value: 60 },
        { category: "storage transactions", group: "single", value: 90 },
      ],
    });
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(size(png).width).toBeGreaterThan(900);
  });
});
