import { performance } from "node:perf_hooks";

import { collect, DeliveryTracker } from "./deliveryTracker";
import { expecting, type PipelineEnv, startPipelineEnv } from "./pipeline";
import { type Progress, progress } from "./progress";
import { deliveriesPerEvent, eventOfKind, expectedDeliveryIds, mixedEvent, webhookSpecs } from "./workload";

/**
 * Cost per delivery, counted exactly: the local runtime runs with LOCAL_HOST_COUNTERS=true (the local host's
 * counting proxy in front of Azurite, counters in its durable runtime and Event Hub consumers, served at
 * GET /runtime/counters), and the bench publishes batches one at a time to one partition, each a single
 * Event Hubs batch the consumer receives whole, waiting until its deliveries arrived and its orchestration
 * finished before the next. Each batch's plan fits one chunk (the plan activity delivers it), so nothing depends
 * on timing: two runs of the same workload count the same, except
 *  - bytes: rows carry latencies and times whose digits vary, so byte counts vary by a fraction of a percent;
 *  - what runs on a clock whatever the load: the checkpoint store's ownership claims (blob requests every 2 s per
 *    consumer) and empty receives (one per partition per maxWaitTime while idle), reported per second apart.
 */

export interface CostWorkload {
  readonly name: string;
  readonly kind: "mix" | "service:subscribed";
  readonly batches: number;
  readonly eventsPerBatch: number;
  /** Every n-th planned delivery fails its first attempt (503) and is retried after the schedule's 1 s. */
  readonly failEvery?: number;
}

/** Counters that vary with time or digits: not part of the determinism check. */
export const TIME_OR_SIZE_BASED = /Bytes|JsonChars|emptyReceives|\[ownership\]|storage\.requests$/;

export interface CostResult {
  readonly workload: CostWorkload;
  /** Every batch was received whole and delivered within its second (else the counts are not the workload's). */
  readonly asPlanned: boolean;
  /** How many times the workload ran until it ran as planned (or gave up). */
  readonly runs: number;
  readonly events: number;
  readonly deliveries: number;
  /** Requests the receivers got: deliveries plus retried attempts. */
  readonly requests: number;
  readonly durationMs: number;
  /** Every counter's increase during the workload (GET /runtime/counters after minus before). */
  readonly counters: Readonly<Record<string, number>>;
  /** The same, summed into the kinds, per 1,000 deliveries. */
  readonly perThousand: Readonly<Record<string, number>>;
  /** Storage transactions by table or blob area, per 1,000 deliveries (ownership claims excluded). */
  readonly transactionsBySource: Readonly<Record<string, number>>;
  /** Clock-driven work during the workload, per second: ownership blob requests, empty receives. */
  readonly perSecond: Readonly<Record<string, number>>;
}

export const fetchCounters = async (env: PipelineEnv): Promise<Record<string, number>> => {
  const response = await fetch(`${new URL(env.runtime.info.adminUrl).origin}/runtime/counters`);
  if (!response.ok) throw new Error(`GET /runtime/counters answered ${response.status}`);
  return ((await response.json()) as { counters: Record<string, number> }).counters;
};

const difference = (
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v !== 0),
  );

const sumOf = (counters: Readonly<Record<string, number>>, test: (name: string) => boolean): number =>
  Object.entries(counters)
    .filter(([k]) => test(k))
    .reduce((s, [, v]) => s + v, 0);

/** The kinds from raw counters. Durable Task Scheduler actions: 1 per orchestration start, 2 per
    activity (scheduling it, processing its result), 1 per timer (learn.microsoft.com, "What is an action?"). */
export const costKinds = (c: Readonly<Record<string, number>>): Record<string, number> => {
  const n = (name: string): number => c[name] ?? 0;
  const started = n("durable.orchestrationsStarted");
  const activities = n("durable.activitiesScheduled");
  const timers = n("durable.timersCreated");
  const table = (kind: string): number => sumOf(c, (k) => k.startsWith(`table.${kind}[`));
  const blob = sumOf(c, (k) => k.startsWith("blob.") && !k.endsWith("[ownership]"));
  const queue = sumOf(c, (k) => k.startsWith("queue."));
  const tableTransactions = ["read", "query", "write", "delete", "batch", "admin"]
    .map(table)
    .reduce((a, b) => a + b, 0);
  return {
    orchestrationsStarted: started,
    episodes: n("durable.episodes"),
    activitiesScheduled: activities,
    timers,
    durableActions: started + 2 * activities + timers,
    historyEvents: n("durable.historyEvents"),
    historyBytes: n("durable.historyJsonChars"),
    tableReads: table("read"),
    tableQueries: table("query"),
    tableWrites: table("write"),
    tableDeletes: table("delete"),
    tableBatches: table("batch"),
    tableBatchOperations: table("batchOperations"),
    tableAdmin: table("admin"),
    blobOps: blob,
    queueOps: queue,
    storageTransactions: tableTransactions + blob + queue,
    storageRequestBytes: sumOf(c, (k) => k.startsWith("storage.requestBytes[") && !k.includes("ownership")),
    eventHubReceives: n("eventhubs.batchesReceived"),
  };
};

const perThousandOf = (values: Readonly<Record<string, number>>, deliveries: number) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, (v / deliveries) * 1000]));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const finishedOrchestrations = (c: Readonly<Record<string, number>>): number =>
  sumOf(c, (k) => /^durable\.orchestrations(Completed|Failed|Terminated)$/.test(k));

const deterministicPart = (c: Readonly<Record<string, number>>): string =>
  JSON.stringify(Object.entries(c).filter(([k]) => !TIME_OR_SIZE_BASED.test(k)));

/**
 * Waits until the tracker has every expected delivery (and `retries` more requests), every started orchestration
 * has finished, and the counters that do not run on a clock stay the same for 300 ms.
 */
const settle = async (env: PipelineEnv, tracker: DeliveryTracker, retries: number, stallMs = 60_000) => {
  const started = performance.now();
  let last = "";
  let sameSince = 0;
  for (;;) {
    collect(env.receivers, tracker);
    const { received, extra } = tracker.counts();
    const c = await fetchCounters(env);
    const now = deterministicPart(c);
    const done =
      tracker.complete() &&
      extra >= retries &&
      finishedOrchestrations(c) === (c["durable.orchestrationsStarted"] ?? 0);
    if (now !== last) {
      last = now;
      sameSince = performance.now();
    } else if (done && performance.now() - sameSince >= 300) return;
    if (performance.now() - started > stallMs)
      throw new Error(`a cost batch did not settle in ${stallMs / 1000} s (${received} deliveries received)`);
    await sleep(50);
  }
};

/**
 * Waits until just after a wall-clock second starts. The delivery log partitions by the second of each attempt
 * (deliveryLog.ts), so a batch whose attempts straddle a second writes one more transaction;
 * a batch that starts 30 ms into a second is delivered well before the next one.
 */
const startOfSecond = async (): Promise<void> => {
  for (;;) {
    const ms = Date.now() % 1000;
    if (ms >= 30 && ms < 150) return;
    await sleep(ms < 30 ? 30 - ms : 1030 - ms);
  }
};

const eventsOf = (workload: CostWorkload, tag: string, batch: number, env: PipelineEnv) => {
  const specs = webhookSpecs(env.webhooks.length);
  return Array.from({ length: workload.eventsPerBatch }, (_, k) => {
    const i = batch * workload.eventsPerBatch + k;
    return {
      messageId: `${tag}-${i}`,
      body: workload.kind === "mix" ? mixedEvent(i, specs) : eventOfKind("service:subscribed", i, specs),
    };
  });
};

/**
 * Whether a batch ran the way the workload assumes: received whole (one receive, at most one orchestration), and every
 * round of its attempts inside one wall-clock second, away from its edges (`rounds` seconds in all).
 */
const ranAsPlanned = (
  receipts: ReadonlyArray<number>,
  rounds: number,
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): boolean => {
  const grew = (name: string): number => (after[name] ?? 0) - (before[name] ?? 0);
  const seconds = new Set(receipts.map((ms) => Math.floor(ms / 1000)));
  const nearEdge = receipts.some((ms) => ms % 1000 < 15 || ms % 1000 > 985);
  return (
    grew("eventhubs.batchesReceived") === 1 &&
    // None when the ingest's first round settles the batch (INGEST_FIRST_ROUND), one for its retries.
    grew("durable.orchestrationsStarted") <= 1 &&
    seconds.size === rounds &&
    !nearEdge
  );
};

/** One batch: published to partition 0 as one Event Hubs batch, then waited for. Returns deliveries, retries,
    and whether it ran as planned (see ranAsPlanned). */
const runBatch = async (
  env: PipelineEnv,
  workload: CostWorkload,
  tag: string,
  batch: number,
  failOnce: Set<string>,
): Promise<{ deliveries: number; retries: number; asPlanned: boolean }> => {
  const tracker = new DeliveryTracker();
  const events = eventsOf(workload, tag, batch, env);
  let deliveries = 0;
  let retries = 0;
  for (const e of events) {
    for (const id of expectedDeliveryIds(e.messageId, e.body, env.webhooks)) {
      if (workload.failEvery !== undefined && deliveries % workload.failEvery === 0) {
        failOnce.add(id);
        retries++;
      }
      deliveries++;
    }
  }
  const partition = env.publisher.partitionIds[0]!;
  await startOfSecond();
  const before = await fetchCounters(env);
  let sends = 0;
  await env.publisher.send(events, partition, (sent, at) => {
    sends++;
    expecting(env, tracker)(sent, at);
  });
  if (sends !== 1)
    throw new Error(`a cost batch of ${events.length} events took ${sends} Event Hubs batches`);
  await settle(env, tracker, retries);
  const asPlanned = ranAsPlanned(
    tracker.receiptWallMs,
    retries > 0 ? 2 : 1,
    before,
    await fetchCounters(env),
  );
  return { deliveries, retries, asPlanned };
};

/**
 * Runs a workload until every batch ran as planned (at most `attempts` times): on a loaded machine the SDK's
 * partition pump may return a batch in two receives (it waits 20 ms after the first event), or a batch may still
 * be delivering when the next second starts, and either changes the counts. The result says how many runs it took.
 */
export const runCostWorkload = async (
  env: PipelineEnv,
  workload: CostWorkload,
  failOnce: Set<string>,
  bar: Progress,
  attempts = 3,
): Promise<CostResult> => {
  for (let run = 1; ; run++) {
    const result = await runCostOnce(env, workload, failOnce, bar, `cost-${workload.name}-${run}`);
    if (result.asPlanned || run >= attempts) return { ...result, runs: run };
    process.stderr.write(
      `cost ${workload.name}: a batch was received in parts or crossed a second; running the workload again\n`,
    );
  }
};

const runCostOnce = async (
  env: PipelineEnv,
  workload: CostWorkload,
  failOnce: Set<string>,
  bar: Progress,
  tag: string,
): Promise<Omit<CostResult, "runs">> => {
  // A warm-up batch (not counted): tables exist, the webhook list is cached, connections are open.
  await runBatch(env, workload, `${tag}-warm`, 0, failOnce);
  collect(env.receivers, new DeliveryTracker());
  const before = await fetchCounters(env);
  const started = performance.now();
  let deliveries = 0;
  let retries = 0;
  let asPlanned = true;
  for (let b = 0; b < workload.batches; b++) {
    const done = await runBatch(env, workload, tag, b, failOnce);
    deliveries += done.deliveries;
    retries += done.retries;
    asPlanned &&= done.asPlanned;
    bar.update(b + 1, `${deliveries} deliveries`);
  }
  const durationMs = performance.now() - started;
  const counters = difference(before, await fetchCounters(env));
  const seconds = durationMs / 1000;
  const bySource: Record<string, number> = {};
  for (const [k, v] of Object.entries(counters)) {
    const m = /^(table|blob|queue)\.(\w+)\[(.*)\]$/.exec(k);
    if (m === null || m[2] === "batchOperations" || m[3] === "ownership") continue;
    const source = m[1] === "blob" ? `blob ${m[3]}` : m[3]!;
    bySource[source] = (bySource[source] ?? 0) + v;
  }
  return {
    workload,
    asPlanned,
    events: workload.batches * workload.eventsPerBatch,
    deliveries,
    requests: deliveries + retries,
    durationMs,
    counters,
    perThousand: perThousandOf(costKinds(counters), deliveries),
    transactionsBySource: perThousandOf(bySource, deliveries),
    perSecond: {
      ownershipBlobRequests: sumOf(counters, (k) => k.endsWith("[ownership]")) / seconds,
      emptyReceives: (counters["eventhubs.emptyReceives"] ?? 0) / seconds,
    },
  };
};

/**
 * Events per batch: 100 single-delivery events; of the mix, whole cycles of 10 (so every batch has the same
 * kinds) as many as fit one chunk of `chunkSize` deliveries, at least one cycle (with 50 or more webhooks a cycle
 * needs several chunks, whose results may fold into one episode or several: episodes are then timing-dependent).
 */
export const eventsPerChunk = (kind: CostWorkload["kind"], webhooks: number, chunkSize = 200): number => {
  if (kind === "service:subscribed") return Math.min(100, chunkSize);
  const perCycle = deliveriesPerEvent(webhooks) * 10;
  return Math.max(10, Math.min(100, Math.floor(chunkSize / perCycle) * 10));
};

export const costWorkloads = (webhooks: number, batches: number): CostWorkload[] => [
  { name: "single", kind: "service:subscribed", batches, eventsPerBatch: 100 },
  { name: "mix", kind: "mix", batches, eventsPerBatch: eventsPerChunk("mix", webhooks) },
  { name: "retries", kind: "service:subscribed", batches, eventsPerBatch: 100, failEvery: 5 },
];

/** A runtime of its own with the counters on and the webhook list cached for the whole run. */
export const COST_SETTINGS: Readonly<Record<string, string>> = {
  LOCAL_HOST_COUNTERS: "true",
  // Batches here come one at a time, a second or so apart (each waits for the last to settle): a window that
  // covers the gap makes every batch after the first follow (as under steady traffic) on any machine, so the
  // counts do not depend on its speed.
  INGEST_FOLLOW_WINDOW_MS: "10000",
  WEBHOOK_CACHE_TTL_SECONDS: "3600",
  // Endpoint health writes counter-only updates every LINGER_ATTEMPTS (10,000) attempts or HEALTH_FLUSH_SECONDS
  // (10 by default), whichever comes first: the longest setting keeps the clock out of the counted windows, so
  // what is counted is the load-driven writes. The clock-driven ones cost at most one transaction per
  // HEALTH_FLUSH_SECONDS per process and 100 webhooks (BENCHMARKS.md).
  HEALTH_FLUSH_SECONDS: "300",
};

export const runCost = async (webhooks: number, batches: number): Promise<CostResult[]> => {
  const failOnce = new Set<string>();
  const env = await startPipelineEnv(webhooks, false, { settings: COST_SETTINGS, failOnce });
  try {
    const results: CostResult[] = [];
    for (const workload of costWorkloads(webhooks, batches)) {
      const bar = progress(`cost ${workload.name} (${workload.eventsPerBatch} events x ${batches})`, batches);
      const result = await runCostWorkload(env, workload, failOnce, bar);
      bar.done(
        `${result.perThousand.storageTransactions!.toFixed(0)} storage transactions, ` +
          `${result.perThousand.durableActions!.toFixed(0)} durable actions per 1,000 deliveries`,
      );
      results.push(result);
    }
    return results;
  } catch (error) {
    process.stderr.write(`\n--- runtime stderr (tail) ---\n${env.runtime.stderr().slice(-4000)}\n`);
    throw error;
  } finally {
    await env.close();
  }
};
