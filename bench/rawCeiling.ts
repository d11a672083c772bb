import { performance } from "node:perf_hooks";

import { Pool } from "undici";

import { type LatencySummary, summarize } from "./stats";

/**
 * The raw ceiling: the same receivers driven directly by an undici client (a keep-alive Pool per receiver
 * origin, as the dispatcher's sender has) with `concurrency` requests in flight, bodies shaped like deliveries.
 */
export interface RawResult {
  readonly concurrency: number;
  readonly requests: number;
  readonly durationMs: number;
  readonly perSecond: number;
  readonly latencyMs: LatencySummary;
}

export const runRawCeiling = async (
  urls: ReadonlyArray<string>,
  concurrency: number,
  durationMs: number,
  onProgress?: (elapsedMs: number, done: number) => void,
): Promise<RawResult> => {
  const pools = new Map<string, Pool>();
  const targets = urls.map((u) => {
    const url = new URL(u);
    let pool = pools.get(url.origin);
    if (pool === undefined) {
      pool = new Pool(url.origin, { connections: 64 });
      pools.set(url.origin, pool);
    }
    return { pool, path: url.pathname };
  });
  const body = JSON.stringify({ name: "service:subscribed", payload: { fiscalCode: "BNCHMK00A00B000Z" } });
  const latencies: number[] = [];
  let sequence = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const n = sequence++;
      const target = targets[n % targets.length]!;
      const sentAt = performance.now();
      const response = await target.pool.request({
        method: "POST",
        path: target.path,
        headers: { "content-type": "application/json", "webhook-id": `raw_${n}` },
        body,
      });
      await response.body.dump();
      if (response.statusCode !== 200)
        throw new Error(`raw ceiling: a receiver answered ${response.statusCode}`);
      latencies.push(performance.now() - sentAt);
    }
  };
  const ticker = setInterval(() => onProgress?.(performance.now() - started, latencies.length), 250);
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    clearInterval(ticker);
    await Promise.all([...pools.values()].map((p) => p.close()));
  }
  const elapsed = performance.now() - started;
  return {
    concurrency,
    requests: latencies.length,
    durationMs: elapsed,
    perSecond: (latencies.length / elapsed) * 1000,
    latencyMs: summarize(latencies),
  };
};
