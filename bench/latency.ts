/*
 * npm run bench:latency -- [rounds] [webhooks]: end-to-end latency at a steady 300 and 1,000 single-delivery
 * events/s, `rounds` times (default 3) after a warm-up, on one runtime. Short (about 15 s a round) and the same on
 * any commit that has bench/phases.ts, so it serves to compare commits (a bisect) where the full bench is too long;
 * read the spread between rounds before reading a difference between commits.
 */
import { steadyPhase } from "./phases";
import { startPipelineEnv } from "./pipeline";

const rounds = Number(process.argv[2] ?? "3");
const webhooks = Number(process.argv[3] ?? "10");

const main = async (): Promise<void> => {
  const env = await startPipelineEnv(webhooks);
  try {
    await steadyPhase(env, 300, 3000, "latency-warm", "service:subscribed");
    const lines: string[] = [];
    for (let r = 1; r <= rounds; r++) {
      const at300 = await steadyPhase(env, 300, 4000, `latency300-${r}`, "service:subscribed");
      const at1000 = await steadyPhase(env, 1000, 5000, `latency1000-${r}`, "service:subscribed");
      lines.push(
        `round ${r}: 300 events/s p50 ${at300.latencyMs.p50.toFixed(0)} ms p99 ${at300.latencyMs.p99.toFixed(0)} ms | ` +
          `1,000 events/s p50 ${at1000.latencyMs.p50.toFixed(0)} ms p99 ${at1000.latencyMs.p99.toFixed(0)} ms`,
      );
    }
    process.stdout.write(
      `latency bench: ${webhooks} webhooks, single-delivery events\n${lines.join("\n")}\n`,
    );
  } finally {
    await env.close();
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
