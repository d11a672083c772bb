import { performance } from "node:perf_hooks";

import { collect, DeliveryTracker } from "./deliveryTracker";
import { measurePhase, type PhaseResult, type PipelineEnv } from "./pipeline";
import { progress } from "./progress";
import { publishBurst, publishSteady } from "./publisher";
import { type RawResult, runRawCeiling } from "./rawCeiling";
import { treeCpu } from "./rss";
import { deliveriesPerEvent, eventOfKind, mixedEvent, webhookSpecs } from "./workload";

/** The pipeline's most deliveries in flight: activities at once x chunk size, capped by connections per origin. */
export const pipelineConcurrency = (receivers: number): number => Math.min(20 * 200, receivers * 64);

/** Forgets whatever the receivers got before a phase (the raw ceiling's requests, a previous phase's extras). */
const discardReceived = (env: PipelineEnv): void => collect(env.receivers, new DeliveryTracker());

export const rawPhase = async (env: PipelineEnv, durationMs: number): Promise<RawResult> => {
  const concurrency = pipelineConcurrency(env.urls.length);
  const bar = progress(`raw ceiling (${concurrency})`, Math.round(durationMs / 1000));
  const raw = await runRawCeiling(env.urls, concurrency, durationMs, (elapsed, done) =>
    bar.update(Math.floor(elapsed / 1000), `${done} requests`),
  );
  discardReceived(env);
  bar.done(`${raw.perSecond.toFixed(0)} requests/s, p50 ${raw.latencyMs.p50.toFixed(1)} ms`);
  return raw;
};

export interface CpuSplit {
  /** CPU seconds of the runtime process and of its children (Azurite) during the phase. */
  readonly runtimeCpuS: number;
  readonly childrenCpuS: number;
}

const cpuSplit = (
  before: ReadonlyArray<{ pid: number; cpuSeconds: number }>,
  after: ReadonlyArray<{ pid: number; cpuSeconds: number }>,
): CpuSplit => {
  const used = after.map((a) => a.cpuSeconds - (before.find((b) => b.pid === a.pid)?.cpuSeconds ?? 0));
  return { runtimeCpuS: used[0] ?? 0, childrenCpuS: used.slice(1).reduce((s, n) => s + n, 0) };
};

export type BurstResult = PhaseResult & CpuSplit & { readonly publishMs: number };

/** `events` of the mix, published as fast as the hub takes them: throughput and latency at saturation. */
export const burstPhase = async (env: PipelineEnv, events: number, tag: string): Promise<BurstResult> => {
  const specs = webhookSpecs(env.webhooks.length);
  const bar = progress(`burst ${events} events`, Math.round(events * deliveriesPerEvent(specs.length)));
  discardReceived(env);
  const before = treeCpu(env.runtime.pid);
  const result = await measurePhase(
    env,
    events,
    (onSend) =>
      publishBurst(
        env.publisher,
        events,
        (i) => ({ messageId: `${tag}-${i}`, body: mixedEvent(i, specs) }),
        onSend,
      ),
    bar,
  );
  const cpu = cpuSplit(before, treeCpu(env.runtime.pid));
  bar.done(
    `${result.deliveriesPerSecond.toFixed(0)} deliveries/s, p50 ${result.latencyMs.p50.toFixed(0)} ms`,
  );
  return { ...result, ...cpu };
};

export type SteadyResult = PhaseResult & {
  readonly offeredEventsPerSecond: number;
  readonly offeredDeliveriesPerSecond: number;
  /** The rate the publisher actually achieved. */
  readonly publishedEventsPerSecond: number;
};

/** A steady rate of events (of the mix, or of one kind) for `durationMs`, then until all is delivered. */
export const steadyPhase = async (
  env: PipelineEnv,
  eventsPerSecond: number,
  durationMs: number,
  tag: string,
  kind: "mix" | "service:subscribed",
): Promise<SteadyResult> => {
  const specs = webhookSpecs(env.webhooks.length);
  const perEvent = kind === "mix" ? deliveriesPerEvent(specs.length) : 1;
  const events = Math.ceil((durationMs / 1000) * eventsPerSecond);
  const label = `${eventsPerSecond.toFixed(0)} events/s ${kind === "mix" ? "mix" : "single"}`;
  const bar = progress(label, Math.round(events * perEvent));
  discardReceived(env);
  let published = { sent: 0, elapsedMs: 1 };
  const result = await measurePhase(
    env,
    events,
    async (onSend) => {
      published = await publishSteady(
        env.publisher,
        eventsPerSecond,
        durationMs,
        (i) => ({
          messageId: `${tag}-${i}`,
          body: kind === "mix" ? mixedEvent(i, specs) : eventOfKind("service:subscribed", i, specs),
        }),
        onSend,
      );
    },
    bar,
  );
  bar.done(`p50 ${result.latencyMs.p50.toFixed(0)} ms, p99 ${result.latencyMs.p99.toFixed(0)} ms`);
  return {
    ...result,
    offeredEventsPerSecond: eventsPerSecond,
    offeredDeliveriesPerSecond: eventsPerSecond * perEvent,
    publishedEventsPerSecond: (published.sent / published.elapsedMs) * 1000,
  };
};

export type BacklogResult = PhaseResult & {
  readonly publishMs: number;
  /** Deliveries still to come when the last event was published: how far behind the consumer was. */
  readonly backlogWhenPublished: number;
  readonly totalMs: number;
};

/**
 * `events` single-delivery events published as fast as the hub takes them; the consumer is the bottleneck, so a
 * backlog builds up. Peak RSS of the runtime's tree while it works through them.
 */
export const backlogPhase = async (env: PipelineEnv, events: number, tag: string): Promise<BacklogResult> => {
  const specs = webhookSpecs(env.webhooks.length);
  const bar = progress(`backlog ${events} events`, events);
  discardReceived(env);
  const started = performance.now();
  const result = await measurePhase(
    env,
    events,
    (onSend) =>
      publishBurst(
        env.publisher,
        events,
        (i) => ({ messageId: `${tag}-${i}`, body: eventOfKind("service:subscribed", i, specs) }),
        onSend,
      ),
    bar,
    120_000,
  );
  const totalMs = performance.now() - started;
  bar.done(`peak RSS ${result.peakRssMb.toFixed(0)} MB, ${(totalMs / 1000).toFixed(0)} s`);
  return { ...result, backlogWhenPublished: events - result.receivedWhenPublished, totalMs };
};
