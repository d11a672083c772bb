import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";

import { renderBars, renderChart } from "./chart";
import { runCost } from "./cost";
import { runHotPath } from "./hotPath";
import { commitMeasured, machine } from "./machine";
import { type BenchOptions, parseOptions } from "./options";
import { backlogPhase, burstPhase, rawPhase, steadyPhase } from "./phases";
import { startPipelineEnv } from "./pipeline";
import { progress } from "./progress";
import { type BenchResults, chartPanels, checkTargets, costBars, summaryText } from "./report";
import { treeRssMb } from "./rss";
import { freePort, storageAfterBacklog } from "./storageRows";
import { deliveriesPerEvent } from "./workload";

const REPO_ROOT = path.resolve(__dirname, "..");

/** End to end through the local runtime (a child process): raw ceiling, burst, steady ladder, 1,000 events/s, backlog. */
const endToEnd = async (options: BenchOptions) => {
  process.stderr.write(`Starting the local runtime and ${options.webhooks} receivers...\n`);
  // With --backlog the bench reads the runtime's tables afterwards: Azurite on ports chosen here.
  const ports = options.backlog ? { blob: await freePort(), table: await freePort() } : undefined;
  const env = await startPipelineEnv(options.webhooks, options.persistent, {
    settings:
      ports === undefined
        ? {}
        : { AZURITE_BLOB_PORT: String(ports.blob), AZURITE_TABLE_PORT: String(ports.table) },
  });
  try {
    const idle = treeRssMb(env.runtime.pid);
    const raw = await rawPhase(env, options.rawMs);
    const burst = await burstPhase(env, options.events, "burst");
    const ladder = [];
    for (const offered of options.ladder) {
      const eventsPerSecond = offered / deliveriesPerEvent(options.webhooks);
      ladder.push(await steadyPhase(env, eventsPerSecond, options.stepMs, `steady${offered}`, "mix"));
    }
    const steady1000 = await steadyPhase(
      env,
      1000,
      options.steadyTargetMs,
      "steady1000",
      "service:subscribed",
    );
    const peak = Math.max(burst.peakRssMb, ...ladder.map((s) => s.peakRssMb), steady1000.peakRssMb);
    const backlog = options.backlog ? await backlogPhase(env, options.backlogEvents, "backlog") : undefined;
    const storage =
      ports === undefined ? undefined : await storageAfterBacklog(env, ports, options.idleSeconds * 1000);
    return {
      raw,
      burst,
      ladder,
      steady1000,
      backlog,
      ...(storage === undefined ? {} : { storageAfterBacklog: storage }),
      runtimeRssMb: { idle, peak },
    };
  } catch (error) {
    process.stderr.write(`\n--- runtime stderr (tail) ---\n${env.runtime.stderr().slice(-4000)}\n`);
    throw error;
  } finally {
    await env.close();
  }
};

/** Writes through a .tmp file (git-ignored) so an interrupted run leaves the committed results intact. */
const writeAtomically = (file: string, data: string | Buffer): void => {
  writeFileSync(`${file}.tmp`, data);
  renameSync(`${file}.tmp`, file);
};

const main = async (): Promise<void> => {
  const options = parseOptions(process.argv.slice(2), path.join(REPO_ROOT, "bench", "results"));
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const e2e = await endToEnd(options);
  const cost = options.costBatches === 0 ? undefined : await runCost(options.webhooks, options.costBatches);
  const hotPath = await runHotPath(
    options.hotPathSizes,
    options.hotPathBudgetMs,
    progress("hot path", options.hotPathSizes.length * 4),
  );
  const partial = {
    startedAt,
    commit: commitMeasured(REPO_ROOT),
    machine: machine(),
    settings: {
      webhooks: options.webhooks,
      events: options.events,
      quick: options.quick,
      persistent: options.persistent,
    },
    ...e2e,
    pipelineToRaw: e2e.burst.deliveriesPerSecond / e2e.raw.perSecond,
    hotPath,
    ...(cost === undefined ? {} : { cost }),
  };
  const results: BenchResults = {
    ...partial,
    durationMs: performance.now() - started,
    targets: checkTargets(partial),
  };
  mkdirSync(options.outDir, { recursive: true });
  writeAtomically(path.join(options.outDir, "results.json"), JSON.stringify(results, null, 2) + "\n");
  writeAtomically(path.join(options.outDir, "chart.png"), await renderChart(chartPanels(results)));
  if (cost !== undefined)
    writeAtomically(path.join(options.outDir, "cost.png"), await renderBars(costBars(cost)));
  process.stdout.write(summaryText(results));
  process.stdout.write(
    `Results: ${path.relative(process.cwd(), options.outDir)}/results.json, chart.png and cost.png\n`,
  );
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
