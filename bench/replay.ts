/*
 * npm run bench:replay -- [events] [rate] [live events/s]: live latency while a replay from the Event Hub runs.
 * One runtime, 10 webhooks. A burst of `events` mixed events is published and delivered live (the stream a replay
 * reads back); then the live p50 at `live events/s` single-delivery events (15 s) without a replay; then a new
 * webhook with the first webhook's attributes gets a replay of the burst's window at `rate` events/s (the API's
 * default 200) while the same live load runs again. Prints both p50s and their ratio, and the replay's pace.
 */
import { type ReplayState } from "../__integrations__/agent/adminClient";
import { burstPhase, steadyPhase } from "./phases";
import { startPipelineEnv } from "./pipeline";
import { SUBSCRIPTIONS, webhookSpecs } from "./workload";

const events = Number(process.argv[2] ?? "10000");
const rate = Number(process.argv[3] ?? "200");
const liveRate = Number(process.argv[4] ?? "200");
const STEADY_MS = 15_000;
const WEBHOOKS = 10;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const main = async (): Promise<void> => {
  const env = await startPipelineEnv(WEBHOOKS, false);
  try {
    const from = new Date(Date.now() - 1000).toISOString();
    await burstPhase(env, events, "replay-source");
    await sleep(1000);
    const to = new Date().toISOString();

    const before = await steadyPhase(env, liveRate, STEADY_MS, "live-before", "service:subscribed");

    const spec = webhookSpecs(WEBHOOKS)[0]!;
    const target = await env.agent.receiver("replay-target");
    const webhook = await env.agent.admin.register({
      url: target.url,
      subscriptions: [...SUBSCRIPTIONS],
      attributes: { name: spec.name, serviceId: spec.serviceId },
    });
    const started = await env.agent.admin.startReplay(webhook.id, { from, to, rate });
    if (started.status !== 202) throw new Error(`the replay did not start: ${JSON.stringify(started.body)}`);
    const replayStartedAt = performance.now();
    const replayId = started.body.id;
    const during = await steadyPhase(env, liveRate, STEADY_MS, "live-during", "service:subscribed");
    const midway: ReplayState = await env.agent.admin.getReplay(webhook.id, replayId);

    let finished = midway;
    let shownAt = 0;
    while (finished.state === "running") {
      if (performance.now() - replayStartedAt > 600_000)
        throw new Error("the replay did not finish in 10 minutes");
      await sleep(500);
      finished = await env.agent.admin.getReplay(webhook.id, replayId);
      const line = `replay: ${finished.eventsRead}/${events} events read, ${finished.deliveries.delivered} delivered`;
      // In place on a terminal; a line every 5 s otherwise (CI logs).
      if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
      else if (performance.now() - shownAt > 5000) {
        shownAt = performance.now();
        process.stderr.write(`${line}\n`);
      }
    }
    if (process.stderr.isTTY) process.stderr.write("\n");
    const replaySeconds = (performance.now() - replayStartedAt) / 1000;
    const lines = [
      `replay bench: ${WEBHOOKS} webhooks, a replay of ${events} events at ${rate} events/s beside ${liveRate} live events/s`,
      `live p50 without a replay   ${before.latencyMs.p50.toFixed(0).padStart(6)} ms (p99 ${before.latencyMs.p99.toFixed(0)} ms)`,
      `live p50 during the replay  ${during.latencyMs.p50.toFixed(0).padStart(6)} ms (p99 ${during.latencyMs.p99.toFixed(0)} ms)`,
      `during / without            ${(during.latencyMs.p50 / before.latencyMs.p50).toFixed(2).padStart(6)}`,
      `replay while the live load ran: ${midway.eventsRead} events read in ${(STEADY_MS / 1000).toFixed(0)} s (state ${midway.state})`,
      `replay: ${finished.state}, ${finished.eventsRead} events read, ${finished.deliveries.delivered} delivered ` +
        `(${target.requests.length} requests at its receiver) in ${replaySeconds.toFixed(1)} s ` +
        `(${(finished.eventsRead / replaySeconds).toFixed(0)} events/s)`,
    ];
    process.stdout.write(lines.join("\n") + "\n");
    if (finished.state !== "completed") process.exitCode = 1;
  } finally {
    await env.close();
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
