/*
 * npm run bench:ordering -- [events] [webhooks]: per-subject ordering beside no ordering, same workload.
 * For each mode, a runtime of its own (counters on) with `webhooks` webhooks, then:
 * - counts: the cost bench's "single" workload (10 batches x 100 service:subscribed events, each a subject of
 *   its own: 1,000 subjects) per 1,000 deliveries, exact (bench/cost.ts);
 * - speed: a burst of `events` service:subscribed events over all partitions, each a subject of its own,
 *   published at once; deliveries/s from the first publish to the last delivery.
 */
import { COST_SETTINGS, costWorkloads, runCostWorkload } from "./cost";
import { startPipelineEnv } from "./pipeline";
import { progress } from "./progress";
import { eventOfKind, webhookSpecs } from "./workload";

const events = Number(process.argv[2] ?? "3000");
const webhooks = Number(process.argv[3] ?? "10");

interface ModeResult {
  readonly mode: string;
  readonly perThousand: Record<string, number>;
  readonly bySource: Record<string, number>;
  readonly burstDeliveriesPerSecond: number;
  readonly burstMs: number;
}

const runMode = async (mode: "none" | "per-subject"): Promise<ModeResult> => {
  const failOnce = new Set<string>();
  const env = await startPipelineEnv(webhooks, false, { settings: COST_SETTINGS, failOnce, ordering: mode });
  try {
    const single = costWorkloads(webhooks, 10)[0]!;
    const bar = progress(`${mode}: cost single (100 events x 10)`, 10);
    const cost = await runCostWorkload(env, single, failOnce, bar);
    bar.done(`${cost.perThousand.durableActions!.toFixed(1)} durable actions per 1,000 deliveries`);

    const specs = webhookSpecs(webhooks);
    const offset = 5_000_000; // subjects the cost run did not use
    const bodies = Array.from({ length: events }, (_, i) => ({
      body: eventOfKind("service:subscribed", offset + i, specs),
      messageId: `ordering-burst-${mode}-${i}`,
    }));
    const partitions = env.publisher.partitionIds;
    const started = performance.now();
    await Promise.all(
      partitions.map((p, k) =>
        env.publisher.send(
          bodies.filter((_, i) => i % partitions.length === k),
          p,
          () => undefined,
        ),
      ),
    );
    const burst = progress(`${mode}: burst of ${events} events`, events);
    let delivered = 0;
    let last = started;
    while (delivered < events) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const r of env.receivers) {
        for (const { at } of r.drain()) {
          delivered++;
          last = Math.max(last, at);
        }
      }
      burst.update(delivered);
      if (performance.now() - started > 300_000) throw new Error(`${mode}: burst stalled at ${delivered}`);
    }
    const burstMs = last - started;
    burst.done(`${((events / burstMs) * 1000).toFixed(0)} deliveries/s`);
    return {
      mode,
      perThousand: cost.perThousand,
      bySource: cost.transactionsBySource,
      burstDeliveriesPerSecond: (events / burstMs) * 1000,
      burstMs,
    };
  } finally {
    await env.close();
  }
};

const main = async (): Promise<void> => {
  const results = [await runMode("none"), await runMode("per-subject")];
  // Every kind either mode counted, then storage transactions by table (or blob area).
  const keys = Object.keys(results[0]!.perThousand)
    .concat(Object.keys(results[1]!.perThousand))
    .filter((k, i, all) => all.indexOf(k) === i && results.some((r) => (r.perThousand[k] ?? 0) !== 0));
  const sources = Object.keys(results[0]!.bySource)
    .concat(Object.keys(results[1]!.bySource))
    .filter((k, i, all) => all.indexOf(k) === i)
    .sort();
  const lines = [
    `ordering bench: ${webhooks} webhooks, cost workload 1,000 subjects; burst ${events} events (one subject each)`,
    `per 1,000 deliveries     ${results.map((r) => r.mode.padStart(12)).join(" ")}`,
    ...keys.map(
      (k) =>
        `${k.padEnd(24)} ${results.map((r) => (r.perThousand[k] ?? 0).toFixed(1).padStart(12)).join(" ")}`,
    ),
    `storage transactions by table`,
    ...sources.map(
      (k) =>
        `  ${k.padEnd(22)} ${results.map((r) => (r.bySource[k] ?? 0).toFixed(1).padStart(12)).join(" ")}`,
    ),
    `burst deliveries/s       ${results.map((r) => r.burstDeliveriesPerSecond.toFixed(0).padStart(12)).join(" ")}`,
    `per-subject / none       ${(results[1]!.burstDeliveriesPerSecond / results[0]!.burstDeliveriesPerSecond).toFixed(2).padStart(12)}`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
