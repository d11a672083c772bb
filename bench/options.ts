import { parseArgs } from "node:util";

/** `npm run bench -- [--events N] [--webhooks W] [--quick] [--persistent] [--backlog [--backlog-events N]] [--out DIR]` */
export interface BenchOptions {
  /** Events in the burst (end-to-end throughput and latency at saturation). */
  readonly events: number;
  /** Service webhooks (each with a name too): the fan-out of ping:all and profile:completed AUTO. */
  readonly webhooks: number;
  readonly quick: boolean;
  /** Storage and the Event Hubs log on disk, as `npm start` runs them (Azurite's journal, partition files),
      instead of in memory. */
  readonly persistent: boolean;
  /** Run the long backlog part (RSS while a backlog of `backlogEvents` is worked through). */
  readonly backlog: boolean;
  readonly backlogEvents: number;
  /** Offered loads of the steady ladder, in deliveries per second, and how long each runs. */
  readonly ladder: ReadonlyArray<number>;
  readonly stepMs: number;
  /** The "p50 at 1,000 events/s" run: how long it publishes. */
  readonly steadyTargetMs: number;
  readonly rawMs: number;
  readonly hotPathSizes: ReadonlyArray<number>;
  readonly hotPathBudgetMs: number;
  readonly outDir: string;
  /** Batches per cost workload (bench/cost.ts); 0 skips the cost run (--no-cost). */
  readonly costBatches: number;
  /** With --backlog: how long the runtime idles after the purge before its RSS is read. */
  readonly idleSeconds: number;
}

export const USAGE =
  "Usage: npm run bench -- [--events N] [--webhooks W] [--quick] [--persistent] [--backlog] [--backlog-events N] [--idle-seconds N] [--cost-batches N | --no-cost] [--out DIR]";

const positiveInt = (name: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer. ${USAGE}`);
  return n;
};

export const parseOptions = (argv: ReadonlyArray<string>, defaultOutDir: string): BenchOptions => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      events: { type: "string" },
      webhooks: { type: "string" },
      quick: { type: "boolean", default: false },
      persistent: { type: "boolean", default: false },
      backlog: { type: "boolean", default: false },
      "backlog-events": { type: "string" },
      out: { type: "string" },
      "cost-batches": { type: "string" },
      "no-cost": { type: "boolean", default: false },
      "idle-seconds": { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) throw new Error(USAGE);
  const quick = values.quick;
  return {
    events: positiveInt("events", values.events, quick ? 300 : 5000),
    webhooks: positiveInt("webhooks", values.webhooks, quick ? 5 : 10),
    quick,
    persistent: values.persistent,
    backlog: values.backlog,
    backlogEvents: positiveInt("backlog-events", values["backlog-events"], 100_000),
    ladder: quick ? [50, 200] : [50, 300, 1000, 2000, 3000],
    stepMs: quick ? 2000 : 4000,
    steadyTargetMs: quick ? 1000 : 3000,
    rawMs: quick ? 1500 : 3000,
    hotPathSizes: [10, 1000, 100_000],
    hotPathBudgetMs: quick ? 2000 : 5000,
    outDir: values.out ?? defaultOutDir,
    idleSeconds: positiveInt("idle-seconds", values["idle-seconds"], 60),
    costBatches: values["no-cost"] ? 0 : positiveInt("cost-batches", values["cost-batches"], quick ? 3 : 10),
  };
};
