import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

import { type RuntimeProcess, startRuntimeProcess } from "../__integrations__/agent/runtimeProcess";
import { TestAgent } from "../__integrations__/agent/testAgent";
import { type Webhook } from "../src/domain/webhook";
import { collect, DeliveryTracker, type StampedReceiver, stampedReceiver } from "./deliveryTracker";
import { type Progress } from "./progress";
import { type BenchPublisher, type OnSend, openPublisher } from "./publisher";
import { type RssSampler, sampleRss } from "./rss";
import { type LatencySummary, summarize } from "./stats";
import { expectedDeliveryIds, mirrorWebhook, SUBSCRIPTIONS, webhookSpecs } from "./workload";

/** The local runtime as a child process, W receivers with a webhook each, a publisher and an RSS sampler. */
export interface PipelineEnv {
  readonly runtime: RuntimeProcess;
  readonly agent: TestAgent;
  readonly receivers: ReadonlyArray<StampedReceiver>;
  readonly urls: ReadonlyArray<string>;
  readonly webhooks: ReadonlyArray<Webhook>;
  readonly publisher: BenchPublisher;
  readonly rss: RssSampler;
  close(): Promise<void>;
}

/** The runtime's settings for the bench: quiet logs, production defaults otherwise (webhook cache 30 s). */
export const RUNTIME_SETTINGS: Readonly<Record<string, string>> = {
  PORT: "0",
  EVENTHUB_EMULATOR_PORT: "0",
  LOG_LEVEL: "warning",
  RETRY_SCHEDULE: "0,1s,5s,30s",
  WEBHOOK_CACHE_TTL_SECONDS: "30",
  ALLOW_INSECURE_WEBHOOKS: "true",
  ALLOW_PRIVATE_NETWORK_TARGETS: "true",
};

export interface PipelineExtras {
  /** Runtime settings on top of RUNTIME_SETTINGS. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Webhook-ids every receiver answers 503 the first time (see stampedReceiver). */
  readonly failOnce?: Set<string>;
  /** Register the webhooks with this ordering (default: the API's, none). */
  readonly ordering?: "none" | "per-subject";
}

export const startPipelineEnv = async (
  webhookCount: number,
  persistent = false,
  extras: PipelineExtras = {},
): Promise<PipelineEnv> => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "dispatcher-bench-"));
  const runtime = await startRuntimeProcess(
    { ...RUNTIME_SETTINGS, ...extras.settings, DATA_DIR: dataDir },
    { inMemory: !persistent },
  );
  const agent = new TestAgent({
    adminUrl: runtime.info.adminUrl,
    adminKey: runtime.info.adminKey,
    eventHubConnection: runtime.info.eventHubConnectionString,
    eventHubName: runtime.info.eventHubName,
    receiverHost: "127.0.0.1",
    receiverBindHost: "127.0.0.1",
  });
  const close = async (): Promise<void> => {
    await agent.close().catch(() => undefined);
    await runtime.stop(30_000);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const receivers: StampedReceiver[] = [];
    const urls: string[] = [];
    const webhooks: Webhook[] = [];
    for (const spec of webhookSpecs(webhookCount)) {
      const stamped = stampedReceiver(extras.failOnce);
      const receiver = await agent.receiver(spec.name, stamped.responder);
      stamped.attach(receiver);
      // Registered through the admin API without teaching the receiver the secret: receivers do not verify
      // signatures in the bench (the same receivers serve the raw ceiling, which sends unsigned requests).
      const { id } = await agent.admin.register({
        url: receiver.url,
        subscriptions: [...SUBSCRIPTIONS],
        attributes: { name: spec.name, serviceId: spec.serviceId },
        ...(extras.ordering === undefined ? {} : { ordering: extras.ordering }),
      });
      receivers.push(stamped);
      urls.push(receiver.url);
      webhooks.push(mirrorWebhook(id, receiver.url, spec));
    }
    const publisher = await openPublisher(runtime.info.eventHubConnectionString, runtime.info.eventHubName);
    const rss = sampleRss(runtime.pid);
    return {
      runtime,
      agent,
      receivers,
      urls,
      webhooks,
      publisher,
      rss,
      close: async () => {
        rss.stop();
        await publisher.close();
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
};

export interface PhaseResult {
  readonly events: number;
  readonly deliveries: number;
  /** First publish to last receipt. */
  readonly durationMs: number;
  readonly deliveriesPerSecond: number;
  readonly eventsPerSecond: number;
  readonly latencyMs: LatencySummary;
  readonly peakRssMb: number;
  /** Peak RSS of the runtime process and of Azurite (its child), each on its own. */
  readonly peakRuntimeRssMb: number;
  readonly peakAzuriteRssMb: number;
  /** Receipts of an already-received webhook-id (at-least-once redeliveries). */
  readonly duplicates: number;
}

/** Expects each sent event's deliveries at the time it is sent. */
export const expecting =
  (env: PipelineEnv, tracker: DeliveryTracker): OnSend =>
  (events, at) => {
    for (const e of events) tracker.expect(expectedDeliveryIds(e.messageId, e.body, env.webhooks), at);
  };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `publish` (which feeds the tracker through `expecting`) while draining the receivers, then waits until
 * every expected delivery arrived. Fails if no delivery arrives for `stallMs`.
 */
export const measurePhase = async (
  env: PipelineEnv,
  events: number,
  publish: (onSend: OnSend) => Promise<void>,
  bar: Progress,
  stallMs = 30_000,
): Promise<PhaseResult & { publishMs: number; receivedWhenPublished: number }> => {
  const tracker = new DeliveryTracker();
  env.rss.reset();
  let publishing = true;
  const started = performance.now();
  const published = publish(expecting(env, tracker)).finally(() => {
    publishing = false;
  });
  let publishMs = 0;
  let receivedWhenPublished = 0;
  void published.then(
    () => {
      publishMs = performance.now() - started;
      receivedWhenPublished = tracker.counts().received;
    },
    () => undefined,
  );
  let lastCount = -1;
  let lastProgressAt = performance.now();
  for (;;) {
    collect(env.receivers, tracker);
    const { expected, received } = tracker.counts();
    bar.update(
      received,
      `expected ${expected}${publishing ? " (publishing)" : ""}  rss ${env.rss.peakMb().toFixed(0)} MB`,
    );
    if (!publishing && tracker.complete()) break;
    if (received !== lastCount) {
      lastCount = received;
      lastProgressAt = performance.now();
    } else if (performance.now() - lastProgressAt > stallMs) {
      await published.catch(() => undefined);
      throw new Error(`no delivery arrived for ${stallMs / 1000} s: ${received} of ${expected} received`);
    }
    await sleep(50);
  }
  await published;
  const { received, extra } = tracker.counts();
  const durationMs = tracker.lastReceiptAt - tracker.firstPublishAt;
  return {
    events,
    deliveries: received,
    durationMs,
    deliveriesPerSecond: (received / durationMs) * 1000,
    eventsPerSecond: (events / durationMs) * 1000,
    latencyMs: summarize(tracker.latencyMs()),
    peakRssMb: env.rss.peakMb(),
    peakRuntimeRssMb: env.rss.peak().rootMb,
    peakAzuriteRssMb: env.rss.peak().childrenMb,
    duplicates: extra,
    publishMs,
    receivedWhenPublished,
  };
};
