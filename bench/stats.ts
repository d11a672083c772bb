/** Small statistics over latency samples (milliseconds). */

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** The q-quantile (0..1) of sorted values, nearest rank; NaN for no values. */
export const quantile = (sorted: ReadonlyArray<number>, q: number): number => {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? NaN;
};

export const summarize = (values: ReadonlyArray<number>): LatencySummary => {
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  return {
    count: list.length,
    p50: quantile(list, 0.5),
    p95: quantile(list, 0.95),
    p99: quantile(list, 0.99),
    max: list.length === 0 ? NaN : (list[list.length - 1] ?? NaN),
  };
};

/** Rounds for printing and JSON: 3 significant decimals below 10, 1 decimal below 1000, integers above. */
export const round = (n: number): number =>
  !Number.isFinite(n)
    ? n
    : Math.abs(n) < 10
      ? Math.round(n * 1000) / 1000
      : Math.abs(n) < 1000
        ? Math.round(n * 10) / 10
        : Math.round(n);

export const formatMs = (ms: number): string =>
  !Number.isFinite(ms)
    ? "n/a"
    : ms < 1
      ? `${(ms * 1000).toFixed(1)} us`
      : ms < 1000
        ? `${ms.toFixed(ms < 10 ? 2 : 1)} ms`
        : `${(ms / 1000).toFixed(2)} s`;
