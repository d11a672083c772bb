import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import * as vl from "vega-lite";

/**
 * The bench's charts: Vega-Lite specs compiled by vega-lite, rendered to SVG by vega (headless, no canvas) and to
 * PNG by resvg (@resvg/resvg-js, whose prebuilt binary comes inside the npm package). Text needs a font: resvg
 * loads the system's fonts and falls back to DejaVu Sans / Liberation Sans, the fonts Debian installs.
 */

export type Rgb = readonly [number, number, number];

export interface Series {
  readonly label: string;
  readonly color: Rgb;
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** A reference line (dashed, no point markers). */
  readonly reference?: boolean;
}

/** A line chart: series of (x, y) points. */
export interface Panel {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logY?: boolean;
  readonly series: ReadonlyArray<Series>;
}

/** A grouped bar chart: one bar per (category, group). */
export interface BarPanel {
  readonly title: string;
  readonly yLabel: string;
  readonly bars: ReadonlyArray<{ readonly category: string; readonly group: string; readonly value: number }>;
}

const FONT = "DejaVu Sans, Liberation Sans, sans-serif";
const css = ([r, g, b]: Rgb): string => `rgb(${r},${g},${b})`;

const lineSpec = (panel: Panel, width: number, height: number): vl.TopLevelSpec => {
  const rows = panel.series.flatMap((s) =>
    s.points
      .filter(([, y]) => Number.isFinite(y) && (!panel.logY || y > 0))
      .map(([x, y]) => ({ series: s.label, x, y, reference: s.reference === true })),
  );
  const color = {
    field: "series",
    type: "nominal" as const,
    title: null,
    scale: { domain: panel.series.map((s) => s.label), range: panel.series.map((s) => css(s.color)) },
    legend: { orient: "top" as const, direction: "horizontal" as const },
  };
  const x = { field: "x", type: "quantitative" as const, title: panel.xLabel };
  const y = {
    field: "y",
    type: "quantitative" as const,
    title: panel.yLabel,
    scale: panel.logY ? { type: "log" as const } : { zero: true },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: panel.title, anchor: "start", fontSize: 16 },
    width,
    height,
    data: { values: rows },
    layer: [
      {
        transform: [{ filter: "!datum.reference" }],
        mark: { type: "line", point: { size: 60, filled: true }, strokeWidth: 2.5 },
        encoding: { x, y, color },
      },
      {
        transform: [{ filter: "datum.reference" }],
        mark: { type: "line", strokeDash: [8, 6], strokeWidth: 2 },
        encoding: { x, y, color },
      },
    ],
  };
};

const barSpec = (panel: BarPanel, width: number, height: number): vl.TopLevelSpec => ({
  $schema: "https://vega.github.io/schema/vega-lite/v5.json",
  title: { text: panel.title, anchor: "start", fontSize: 16 },
  width,
  height,
  data: { values: [...panel.bars] },
  layer: [
    {
      mark: { type: "bar" },
      encoding: {
        x: {
          field: "category",
          type: "nominal",
          title: null,
          sort: null,
          axis: { labelAngle: -30, labelLimit: 220 },
        },
        xOffset: { field: "group", type: "nominal", sort: null },
        y: { field: "value", type: "quantitative", title: panel.yLabel },
        color: {
          field: "group",
          type: "nominal",
          title: null,
          sort: null,
          legend: { orient: "top", direction: "horizontal" },
        },
      },
    },
    {
      mark: { type: "text", dy: -6, fontSize: 10 },
      encoding: {
        x: { field: "category", type: "nominal", sort: null },
        xOffset: { field: "group", type: "nominal", sort: null },
        y: { field: "value", type: "quantitative" },
        text: { field: "value", type: "quantitative", format: ".0f" },
      },
    },
  ],
});

/** SVG of a Vega-Lite spec (vega's headless renderer). */
export const toSvg = async (spec: vl.TopLevelSpec): Promise<string> => {
  const compiled = vl.compile(spec, {
    config: {
      font: FONT,
      background: "white",
      padding: 16,
      axis: { labelFontSize: 12, titleFontSize: 13 },
      legend: { labelFontSize: 12, labelLimit: 300 },
    },
  }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
};

/** PNG bytes of an SVG, drawn by resvg with the system's fonts. */
export const svgToPng = (svg: string): Buffer =>
  Buffer.from(
    new Resvg(svg, {
      background: "white",
      font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
    })
      .render()
      .asPng(),
  );

/** The line panels one under another, as a PNG. */
export const renderChart = async (
  panels: ReadonlyArray<Panel>,
  width = 900,
  panelHeight = 300,
): Promise<Buffer> =>
  svgToPng(
    await toSvg({
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      vconcat: panels.map((p) => lineSpec(p, width, panelHeight)),
      resolve: { scale: { color: "independent" } },
    } as vl.TopLevelSpec),
  );

/** One grouped bar chart as a PNG. */
export const renderBars = async (panel: BarPanel, width = 900, height = 320): Promise<Buffer> =>
  svgToPng(await toSvg(barSpec(panel, width, height)));
