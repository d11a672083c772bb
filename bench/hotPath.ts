import path from "node:path";
import { Worker } from "node:worker_threads";

import { type HotPathCase, type HotPathKind, type HotPathSample } from "./hotPathWorker";
import { type Progress } from "./progress";

export const HOT_PATH_KINDS: ReadonlyArray<HotPathKind> = [
  "ping",
  "ping:all",
  "profile:completed AUTO",
  "service:subscribed",
];

export interface HotPathResult {
  readonly kind: HotPathKind;
  readonly webhooks: number;
  /** Undefined when the case did not finish one event within the budget. */
  readonly perEventMs?: number;
  readonly perDeliveryUs?: number;
  readonly deliveries?: number;
  readonly iterations?: number;
  readonly timedOutAfterMs?: number;
  /** Building the routing index once for this webhook list (amortised over every event until the cache reloads). */
  readonly indexMs?: number;
}

const REGISTER = path.resolve(__dirname, "..", "dist", "bench", "register.js");
const WORKER = path.resolve(__dirname, "hotPathWorker.ts");

/** Runs one case in a worker thread; terminates it when it exceeds `budgetMs` (a quadratic case can). */
const inWorker = (c: HotPathCase, budgetMs: number): Promise<HotPathSample | undefined> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(`require(${JSON.stringify(REGISTER)}); require(${JSON.stringify(WORKER)});`, {
      eval: true,
      workerData: c,
      resourceLimits: { maxOldGenerationSizeMb: 2048 },
    });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve(undefined);
    }, budgetMs);
    worker.once("message", (sample: HotPathSample) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(sample);
    });
    worker.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });

export const runHotPath = async (
  sizes: ReadonlyArray<number>,
  budgetMs: number,
  bar: Progress,
): Promise<ReadonlyArray<HotPathResult>> => {
  const results: HotPathResult[] = [];
  for (const webhooks of sizes) {
    for (const kind of HOT_PATH_KINDS) {
      bar.update(results.length, `${kind} x ${webhooks}`);
      const sample = await inWorker({ kind, webhooks, minTotalMs: 300 }, budgetMs);
      results.push(
        sample === undefined
          ? { kind, webhooks, timedOutAfterMs: budgetMs }
          : {
              kind,
              webhooks,
              perEventMs: sample.perEventMs,
              perDeliveryUs: sample.deliveries === 0 ? 0 : (sample.perEventMs * 1000) / sample.deliveries,
              deliveries: sample.deliveries,
              iterations: sample.iterations,
              indexMs: sample.indexMs,
            },
      );
    }
  }
  bar.done(`${results.length} cases`);
  return results;
};
