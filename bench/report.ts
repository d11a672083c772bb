import { type BarPanel, type Panel } from "./chart";
import { type CostResult } from "./cost";
import { type HotPathResult } from "./hotPath";
import { type Machine } from "./machine";
import { type BacklogResult, type BurstResult, type SteadyResult } from "./phases";
import { type RawResult } from "./rawCeiling";
import { formatMs } from "./stats";

export interface TargetCheck {
  readonly target: string;
  /** Undefined when this run did not measure it. */
  readonly met?: boolean;
  readonly detail: string;
}

export interface BenchResults {
  readonly startedAt: string;
  readonly commit: string;
  readonly machine: Machine;
  readonly settings: {
    readonly webhooks: number;
    readonly events: number;
    readonly quick: boolean;
    readonly persistent?: boolean;
  };
  readonly durationMs: number;
  readonly raw: RawResult;
  readonly burst: BurstResult;
  readonly pipelineToRaw: number;
  readonly ladder: ReadonlyArray<SteadyResult>;
  readonly steady1000: SteadyResult;
  readonly backlog?: BacklogResult;
  readonly runtimeRssMb: { readonly idle: number; readonly peak: number };
  readonly hotPath: ReadonlyArray<HotPathResult>;
  /** Work counted per workload (bench/cost.ts); absent with --no-cost. */
  readonly cost?: ReadonlyArray<CostResult>;
  /** Backlog run: rows per table after the run and after a purge, RSS after an idle minute. */
  readonly storageAfterBacklog?: StorageAfterBacklog;
  readonly targets: ReadonlyArray<TargetCheck>;
}

export interface StorageAfterBacklog {
  readonly rowsAfterRun: Readonly<Record<string, number>>;
  readonly rowsAfterPurge: Readonly<Record<string, number>>;
  readonly purgedInstances: number;
  readonly idleMs: number;
  readonly idleRuntimeRssMb: number;
  readonly idleAzuriteRssMb: number;
}

/** The cost kinds the summary and the cost chart show, in order, with their labels. */
export const COST_ROWS: ReadonlyArray<readonly [string, string]> = [
  ["orchestrationsStarted", "orchestrations started"],
  ["episodes", "orchestration episodes"],
  ["activitiesScheduled", "activities scheduled"],
  ["timers", "timers"],
  ["durableActions", "durable actions (DTS)"],
  ["historyEvents", "history events"],
  ["historyBytes", "history KB (JSON)"],
  ["tableReads", "table point reads"],
  ["tableQueries", "table queries"],
  ["tableWrites", "table single writes"],
  ["tableDeletes", "table single deletes"],
  ["tableBatches", "table batches (EGT)"],
  ["tableBatchOperations", "operations in batches"],
  ["blobOps", "blob operations"],
  ["queueOps", "queue operations"],
  ["storageTransactions", "storage transactions"],
  ["storageRequestBytes", "storage KB sent"],
  ["eventHubReceives", "Event Hubs receives"],
];

const costValue = (r: CostResult, key: string): number => {
  const v = r.perThousand[key] ?? 0;
  return key.endsWith("Bytes") ? v / 1000 : v;
};

const happy = (cost: ReadonlyArray<CostResult> | undefined): CostResult | undefined =>
  cost?.find((c) => c.workload.name === "single");

const SINGLE_TARGET_KINDS = new Set(["ping", "service:subscribed"]);

export const checkTargets = (r: Omit<BenchResults, "targets" | "durationMs">): ReadonlyArray<TargetCheck> => {
  const routing100k = r.hotPath.filter((h) => h.webhooks === 100_000 && SINGLE_TARGET_KINDS.has(h.kind));
  const worst = Math.max(...routing100k.map((h) => h.perEventMs ?? Infinity));
  return [
    {
      target: "pipeline >= 50% of the raw ceiling",
      met: r.pipelineToRaw >= 0.5,
      detail: `${r.burst.deliveriesPerSecond.toFixed(0)} / ${r.raw.perSecond.toFixed(0)} deliveries/s = ${(r.pipelineToRaw * 100).toFixed(1)}%`,
    },
    {
      target: "p50 < 100 ms at 1,000 events/s",
      met: r.steady1000.latencyMs.p50 < 100,
      detail:
        `p50 ${formatMs(r.steady1000.latencyMs.p50)} (p99 ${formatMs(r.steady1000.latencyMs.p99)}) publishing ` +
        `${r.steady1000.publishedEventsPerSecond.toFixed(0)} service:subscribed events/s for ${r.steady1000.events} events`,
    },
    {
      target: "routing against 100,000 webhooks < 5 ms per event",
      met: worst < 5,
      detail:
        routing100k
          .map((h) => `${h.kind} ${h.perEventMs === undefined ? "timed out" : formatMs(h.perEventMs)}`)
          .join(", ") +
        " (single-target events; fan-out events make 100,000 deliveries each, see the hot-path table)",
    },
    ...costTargets(r.cost),
    r.backlog === undefined
      ? {
          target: "runtime RSS < 300 MB with a 100,000-event backlog",
          detail: "not measured: run with --backlog",
        }
      : {
          // The runtime is the dispatcher's own process (function host, durable runtime, embedded Event Hubs
          // endpoint); Azurite is the storage emulator it starts, which in Azure is Table Storage: shown beside it.
          target: `runtime RSS < 300 MB with a ${r.backlog.events}-event backlog`,
          met: r.backlog.peakRuntimeRssMb < 300,
          detail:
            `runtime peak ${r.backlog.peakRuntimeRssMb.toFixed(0)} MB (Azurite, the storage emulator, ${r.backlog.peakAzuriteRssMb.toFixed(0)} MB beside it; together ${r.backlog.peakRssMb.toFixed(0)} MB), ${r.backlog.backlogWhenPublished} deliveries ` +
            `behind when publishing ended, worked through in ${(r.backlog.totalMs / 1000).toFixed(0)} s`,
        },
  ];
};

/** The issue's cost targets for the happy path (single-delivery events). */
const costTargets = (cost: ReadonlyArray<CostResult> | undefined): TargetCheck[] => {
  const h = happy(cost);
  if (h === undefined)
    return [{ target: "cost per 1,000 happy-path deliveries", detail: "not measured (--no-cost)" }];
  const actions = h.perThousand.durableActions ?? 0;
  const transactions = h.perThousand.storageTransactions ?? 0;
  return [
    {
      target: "at most 10 durable actions per 1,000 happy-path deliveries",
      met: actions <= 10,
      detail: `${actions.toFixed(1)} (${h.perThousand.orchestrationsStarted!.toFixed(1)} starts + 2 x ${h.perThousand.activitiesScheduled!.toFixed(1)} activities + ${h.perThousand.timers!.toFixed(1)} timers)`,
    },
    {
      target: "at most 20 storage transactions per 1,000 happy-path deliveries",
      met: transactions <= 20,
      detail: `${transactions.toFixed(1)}: ${Object.entries(h.transactionsBySource)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(", ")}`,
    },
  ];
};

const costLines = (cost: ReadonlyArray<CostResult> | undefined): string[] => {
  if (cost === undefined) return [];
  return [
    row(["per 1,000 deliveries (counted)", ...cost.map((c) => `${c.workload.name} (${c.deliveries})`)]),
    row(["---", ...cost.map(() => "---")]),
    ...COST_ROWS.map(([key, label]) => row([label, ...cost.map((c) => costValue(c, key).toFixed(1))])),
    "",
    ...cost.map(
      (c) =>
        `${c.workload.name}: ${c.workload.batches} batches of ${c.workload.eventsPerBatch} events` +
        (c.asPlanned ? "" : " (NOT as planned: a batch was split or crossed a second; counts are off)") +
        (c.runs > 1 ? ` (ran ${c.runs} times)` : "") +
        (c.workload.failEvery === undefined
          ? ""
          : `, every ${c.workload.failEvery}th delivery failing once`) +
        `; clock-driven beside it: ${c.perSecond.ownershipBlobRequests!.toFixed(2)} ownership blob requests/s, ` +
        `${c.perSecond.emptyReceives!.toFixed(2)} empty receives/s`,
    ),
    "",
  ];
};

const storageLines = (s: StorageAfterBacklog | undefined): string[] =>
  s === undefined
    ? []
    : [
        row(["table", "rows after the backlog", "after purging finished orchestrations"]),
        row(["---", "---", "---"]),
        ...Object.keys(s.rowsAfterRun).map((t) =>
          row([t, String(s.rowsAfterRun[t]), String(s.rowsAfterPurge[t] ?? 0)]),
        ),
        "",
        `purged ${s.purgedInstances} orchestrations; RSS after ${(s.idleMs / 1000).toFixed(0)} s idle: runtime ${s.idleRuntimeRssMb.toFixed(0)} MB, Azurite ${s.idleAzuriteRssMb.toFixed(0)} MB`,
        "",
      ];

const row = (cells: ReadonlyArray<string>): string => `| ${cells.join(" | ")} |`;

/** The human summary (stdout): the numbers, the hot-path table and every target as met / not met. */
export const summaryText = (r: BenchResults): string => {
  const lines = [
    "",
    `Public Event Dispatcher bench - commit ${r.commit}, ${r.machine.nproc} CPUs (${r.machine.cpuModel}), ${r.machine.memoryMb} MB, node ${r.machine.node}, load ${r.machine.loadAverage}`,
    `${r.settings.webhooks} webhooks, burst of ${r.settings.events} events; took ${(r.durationMs / 1000).toFixed(0)} s`,
    "",
    row(["run", "deliveries/s", "p50", "p95", "p99", "peak RSS MB (runtime + Azurite)"]),
    row(["---", "---", "---", "---", "---", "---"]),
    row([
      "raw ceiling (undici, " + r.raw.concurrency + " in flight)",
      r.raw.perSecond.toFixed(0),
      formatMs(r.raw.latencyMs.p50),
      formatMs(r.raw.latencyMs.p95),
      formatMs(r.raw.latencyMs.p99),
      "-",
    ]),
    ...[
      ["burst (saturation)", r.burst] as const,
      ...r.ladder.map(
        (s) => [`steady ${s.offeredDeliveriesPerSecond.toFixed(0)} deliveries/s offered`, s] as const,
      ),
      ["steady 1,000 events/s single", r.steady1000] as const,
      ...(r.backlog === undefined ? [] : [["backlog", r.backlog] as const]),
    ].map(([name, p]) =>
      row([
        name,
        p.deliveriesPerSecond.toFixed(0),
        formatMs(p.latencyMs.p50),
        formatMs(p.latencyMs.p95),
        formatMs(p.latencyMs.p99),
        `${p.peakRssMb.toFixed(0)} (${p.peakRuntimeRssMb.toFixed(0)} + ${p.peakAzuriteRssMb.toFixed(0)})`,
      ]),
    ),
    "",
    `pipeline / raw = ${(r.pipelineToRaw * 100).toFixed(1)}%; burst CPU: runtime ${r.burst.runtimeCpuS.toFixed(1)} s, Azurite ${r.burst.childrenCpuS.toFixed(1)} s over ${(r.burst.durationMs / 1000).toFixed(1)} s`,
    "",
    row([
      "hot path (decode + remap + route)",
      "webhooks",
      "per event",
      "deliveries",
      "per delivery",
      "index build (once per list)",
    ]),
    row(["---", "---", "---", "---", "---", "---"]),
    ...r.hotPath.map((h) =>
      row([
        h.kind,
        String(h.webhooks),
        h.perEventMs === undefined
          ? `> ${formatMs(h.timedOutAfterMs ?? NaN)} (stopped)`
          : formatMs(h.perEventMs),
        h.deliveries === undefined ? "-" : String(h.deliveries),
        h.perDeliveryUs === undefined ? "-" : formatMs(h.perDeliveryUs / 1000),
        h.indexMs === undefined ? "-" : formatMs(h.indexMs),
      ]),
    ),
    "",
    ...costLines(r.cost),
    ...storageLines(r.storageAfterBacklog),
    ...r.targets.map(
      (t) =>
        `${t.met === undefined ? "[ not measured ]" : t.met ? "[ met ]" : "[ NOT met ]"} ${t.target}: ${t.detail}`,
    ),
    "",
  ];
  return lines.join("\n");
};

const BLUE = [31, 119, 180] as const;
const ORANGE = [255, 127, 14] as const;
const GREEN = [44, 160, 44] as const;
const RED = [214, 39, 40] as const;
const GRAY = [150, 150, 150] as const;
const PURPLE = [148, 103, 189] as const;

/** Throughput and latency against offered load, from the steady ladder, with the raw ceiling and the burst. */
export const chartPanels = (r: BenchResults): ReadonlyArray<Panel> => {
  const xs = r.ladder.map((s) => s.offeredDeliveriesPerSecond);
  const xMax = Math.max(...xs, 1);
  return [
    {
      title: "Throughput",
      xLabel: "offered load (deliveries/s)",
      yLabel: "deliveries/s",
      series: [
        {
          label: "pipeline",
          color: BLUE,
          points: r.ladder.map((s) => [s.offeredDeliveriesPerSecond, s.deliveriesPerSecond]),
        },
        {
          label: "offered",
          color: GRAY,
          reference: true,
          points: [
            [0, 0],
            [xMax, xMax],
          ],
        },
        {
          label: "burst",
          color: ORANGE,
          reference: true,
          points: [
            [0, r.burst.deliveriesPerSecond],
            [xMax, r.burst.deliveriesPerSecond],
          ],
        },
        {
          label: "raw ceiling",
          color: GREEN,
          reference: true,
          points: [
            [0, r.raw.perSecond],
            [xMax, r.raw.perSecond],
          ],
        },
      ],
    },
    {
      title: "Latency publish to receipt",
      xLabel: "offered load (deliveries/s)",
      yLabel: "ms (log)",
      logY: true,
      series: [
        {
          label: "p50",
          color: BLUE,
          points: r.ladder.map((s) => [s.offeredDeliveriesPerSecond, s.latencyMs.p50]),
        },
        {
          label: "p95",
          color: ORANGE,
          points: r.ladder.map((s) => [s.offeredDeliveriesPerSecond, s.latencyMs.p95]),
        },
        {
          label: "p99",
          color: RED,
          points: r.ladder.map((s) => [s.offeredDeliveriesPerSecond, s.latencyMs.p99]),
        },
        {
          label: "p50 1000 ev/s single",
          color: PURPLE,
          points: [[r.steady1000.offeredDeliveriesPerSecond, r.steady1000.latencyMs.p50]],
        },
      ],
    },
  ];
};

/** The cost counters per 1,000 deliveries, one bar per workload (bench/results/cost.png). */
export const costBars = (cost: ReadonlyArray<CostResult>): BarPanel => ({
  title: "Work per 1,000 deliveries (counted exactly)",
  yLabel: "per 1,000 deliveries",
  bars: COST_ROWS.filter(([key]) =>
    [
      "episodes",
      "activitiesScheduled",
      "timers",
      "durableActions",
      "tableReads",
      "tableWrites",
      "tableBatches",
      "blobOps",
      "storageTransactions",
      "eventHubReceives",
    ].includes(key),
  ).flatMap(([key, label]) =>
    cost.map((c) => ({ category: label, group: c.workload.name, value: costValue(c, key) })),
  ),
});
