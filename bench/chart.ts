import { drawText, textWidth } from "./font";
import { Raster, type Rgb } from "./png";

/** Line charts in panels stacked vertically: axes, tick labels, series as lines with points, a legend of boxes. */

export interface Series {
  readonly label: string;
  readonly color: Rgb;
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** A reference line (dashed, no point markers). */
  readonly reference?: boolean;
}

export interface Panel {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logY?: boolean;
  readonly series: ReadonlyArray<Series>;
}

const INK: Rgb = [40, 40, 40];
const GRID: Rgb = [225, 225, 225];
const MARGIN = { left: 80, right: 30, top: 44, bottom: 70 };

/** About five round tick values covering [lo, hi]. */
export const niceTicks = (lo: number, hi: number): ReadonlyArray<number> => {
  const span = hi - lo || 1;
  const raw = span / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
};

const label = (n: number): string =>
  n >= 10_000 ? `${n / 1000}K` : Number.isInteger(n) ? String(n) : n.toFixed(n < 1 ? 2 : 1);

const drawPanel = (raster: Raster, panel: Panel, top: number, height: number): void => {
  const left = MARGIN.left;
  const right = raster.width - MARGIN.right;
  const plotTop = top + MARGIN.top;
  const bottom = top + height - MARGIN.bottom;
  const points = panel.series
    .flatMap((s) => s.points)
    .filter(([, y]) => Number.isFinite(y) && (!panel.logY || y > 0));
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => (panel.logY ? Math.log10(y) : y));
  const xMax = Math.max(1, ...xs) * 1.05;
  const yLo = panel.logY ? Math.floor(Math.min(...ys, 1)) : 0;
  const yHi = panel.logY ? Math.ceil(Math.max(...ys, yLo + 1)) : Math.max(1, ...ys) * 1.1;
  const px = (x: number): number => left + (x / xMax) * (right - left);
  const py = (y: number): number =>
    bottom - (((panel.logY ? Math.log10(y) : y) - yLo) / (yHi - yLo)) * (bottom - plotTop);

  drawText(raster, left, top + 10, panel.title, INK, 3);
  const yTicks = panel.logY
    ? Array.from({ length: yHi - yLo + 1 }, (_, k) => 10 ** (yLo + k))
    : niceTicks(0, yHi).filter((t) => t <= yHi);
  for (const t of yTicks) {
    raster.line(left, py(t), right, py(t), GRID);
    drawText(raster, left - 8 - textWidth(label(t), 2), py(t) - 5, label(t), INK, 2);
  }
  for (const t of niceTicks(0, xMax).filter((v) => v <= xMax)) {
    raster.line(px(t), bottom, px(t), bottom + 6, INK, 2);
    drawText(raster, px(t) - textWidth(label(t), 2) / 2, bottom + 12, label(t), INK, 2);
  }
  raster.line(left, plotTop, left, bottom, INK, 2);
  raster.line(left, bottom, right, bottom, INK, 2);
  drawText(raster, (left + right) / 2 - textWidth(panel.xLabel, 2) / 2, bottom + 34, panel.xLabel, INK, 2);
  drawText(raster, 8, plotTop - 16, panel.yLabel, INK, 2);

  for (const series of panel.series) {
    const visible = series.points.filter(([, y]) => Number.isFinite(y) && (!panel.logY || y > 0));
    visible.forEach(([x, y], i) => {
      const previous = visible[i - 1];
      if (previous !== undefined)
        raster.line(
          px(previous[0]),
          py(previous[1]),
          px(x),
          py(y),
          series.color,
          3,
          series.reference ? 8 : 0,
        );
      if (!series.reference) raster.fillRect(px(x) - 4, py(y) - 4, 9, 9, series.color);
    });
  }
  // Legend: a colored box and the label per series, in one row under the title.
  let x = left + textWidth(panel.title, 3) + 30;
  for (const series of panel.series) {
    raster.fillRect(x, top + 12, 12, 12, series.color);
    drawText(raster, x + 18, top + 13, series.label, INK, 2);
    x += 18 + textWidth(series.label, 2) + 24;
  }
};

/** Renders the panels one under another and returns the PNG bytes. */
export const renderChart = (panels: ReadonlyArray<Panel>, width = 1000, panelHeight = 380): Buffer => {
  const raster = new Raster(width, panelHeight * panels.length);
  panels.forEach((panel, i) => drawPanel(raster, panel, i * panelHeight, panelHeight));
  return raster.encode();
};
