import { mkdirSync, writeFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import path from "node:path";
import v8 from "node:v8";

import { startAzurite } from "./azurite";
import { counterSnapshot, countersSetting, enableCounters } from "./counters";
import { DurableRuntime } from "./durable";
import { startEventHubHost } from "./eventHubHost";
import { type CapturedFunction, FunctionsCoreShim, installFunctionsCore } from "./functionsCore";
import { type HostSettings, readHostJson, resolveTaskHub } from "./hostJson";
import { type RunningHttpHost, startHttpHost } from "./httpHost";
import { functionKeysFrom } from "./httpKeys";
import { type LocalLog } from "./invocation";
import { type EventHubInfo, type EventHubsPlan, LocalEventHubs } from "./localEventHubs";
import { stableConsumerId } from "./ownClaims";
import { ensurePortFree, portSetting } from "./ports";
import { adminKeyFor, drainTimeoutSetting, isDevelopmentStorage, maxLoadedSetting } from "./runtimeSettings";
import { countStorage } from "./storageCounting";
import { assertSupported } from "./support";
import { startTimerHost } from "./timerHost";
import { jsonData, type RpcTypedData } from "./workerInvocation";

export interface LocalRuntimeOptions {
  /** Where the app's host.json sits (and its .data folder, unless DATA_DIR says otherwise). */
  readonly appRoot: string;
  /** The app's compiled registration files, loaded in this order (mainEntryPoints reads package.json main). */
  readonly entryPoints: ReadonlyArray<string>;
  readonly env: NodeJS.ProcessEnv;
  /** Throwaway run: Azurite and the Event Hubs endpoint keep nothing on disk. */
  readonly inMemory: boolean;
  readonly log: LocalLog;
  /**
   * App settings this app wants when it runs locally, applied to process.env unless the environment already
   * sets them (the role local.settings.json plays for `func start`).
   */
  readonly localDefaults?: Readonly<Record<string, string>>;
}

/** What a running local runtime tells people and scripts (also written to <dataDir>/runtime.json). */
export interface RuntimeInfo {
  readonly ready: true;
  readonly adminUrl: string;
  readonly adminKey: string;
  /** The first Event Hub trigger's hub (io-events when the app has none), with EntityPath. */
  readonly eventHubConnectionString: string;
  readonly eventHubName: string;
  /** Every hub the app's Event Hub triggers read, with its consumer groups and functions. */
  readonly eventHubs: ReadonlyArray<EventHubInfo>;
  readonly dataDir: string;
}

/** The storage and Event Hubs the app runs against (for a banner: embedded ones' strings hold no secret). */
export interface RuntimeServices {
  readonly storageConnectionString: string;
  /** True when this host started Azurite; false when AzureWebJobsStorage names an account. */
  readonly storageEmbedded: boolean;
  /** True when this host started the Event Hubs endpoint; false when EVENTHUB_CONNECTION names a namespace. */
  readonly eventHubsEmbedded: boolean;
}

export interface RunningLocalRuntime {
  readonly info: RuntimeInfo;
  readonly services: RuntimeServices;
  readonly shim: FunctionsCoreShim;
  readonly durable: DurableRuntime;
  stop(): Promise<void>;
}

/**
 * Lets V8 grow the heap by 30% of its live size between full collections instead of its adaptive factor (up to
 * 4x). Working through a 100,000-event backlog (npm run bench -- --backlog), the runtime's live heap stayed near
 * 70 MB while V8 let garbage pile up to 180 MB before collecting: peak RSS 306 MB, 200 MB with 50%; with the
 * dispatcher's first attempts in the ingest 216-218 MB with 50% and 204 MB with 30%, at the same throughput. V8 reads the flag whenever it sizes the heap, so setting it after start takes effect; a
 * --heap-growing-percent given on the command line wins.
 */
export const favourSmallHeap = (): void => {
  if (process.execArgv.some((a) => a.startsWith("--heap-growing-percent"))) return;
  v8.setFlagsFromString("--heap-growing-percent=30");
};

/** Stops what started, newest first; a part that fails to stop does not keep the others running. */
class StopList {
  private readonly stops: Array<() => Promise<void>> = [];
  add(stop: () => Promise<void>): void {
    this.stops.push(stop);
  }
  async stopAll(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) await stop().catch(() => undefined);
  }
}

interface StartContext {
  readonly options: LocalRuntimeOptions;
  readonly env: NodeJS.ProcessEnv;
  readonly host: HostSettings;
  readonly dataDir: string;
  readonly stops: StopList;
}

/** Storage: Azurite from npm, unless AzureWebJobsStorage names a real account. Returns the connection string. */
const startStorage = async ({ env, options, dataDir, stops }: StartContext): Promise<string> => {
  const configured = env.AzureWebJobsStorage ?? "";
  if (!isDevelopmentStorage(configured)) return configured;
  const blobPort = portSetting(env, "AZURITE_BLOB_PORT", 0);
  const tablePort = portSetting(env, "AZURITE_TABLE_PORT", 0);
  await ensurePortFree(blobPort, "AZURITE_BLOB_PORT");
  await ensurePortFree(tablePort, "AZURITE_TABLE_PORT");
  const azurite = await startAzurite({
    ...(options.inMemory ? {} : { location: path.join(dataDir, "azurite") }),
    blobPort,
    tablePort,
  });
  stops.add(() => azurite.stop());
  if (!countersSetting(env)) return azurite.connectionString;
  const counted = await countStorage(azurite.connectionString);
  stops.add(() => counted.stop());
  return counted.connectionString;
};

/** The app's settings as the Functions host would hand them over: the embedded storage's connection wins over
    an empty or development value, then the app's local defaults fill in what the environment leaves unset. */
const applySettings = ({ env, options }: StartContext, storage: string): void => {
  const defaults = Object.entries(options.localDefaults ?? {}).filter(([name]) => env[name] === undefined);
  Object.assign(process.env, Object.fromEntries(defaults), { AzureWebJobsStorage: storage });
};

/** Loads the app as the Node worker would: every entry point, registrations captured, then the appStart hooks.
    A registration the host cannot run refuses the start (support.ts). Returns the shim and how to stop answering
    `require("@azure/functions-core")`. */
const loadApp = async ({
  options,
}: StartContext): Promise<{ shim: FunctionsCoreShim; uninstall: () => void }> => {
  const { log } = options;
  const shim = new FunctionsCoreShim((level, _category, message) => log(level as never, "worker", message));
  const uninstall = installFunctionsCore(shim);
  try {
    for (const file of options.entryPoints) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(path.resolve(options.appRoot, file));
    }
    assertSupported(shim.functions.values());
    await shim.runHooks("appStart", { functionAppDirectory: options.appRoot });
  } catch (error) {
    uninstall();
    throw error;
  }
  return { shim, uninstall };
};

/** The value of every durableClient input binding of `fn`, as the Functions host sends it (JSON). */
const durableClientInputs = (fn: CapturedFunction, durable: DurableRuntime): Record<string, RpcTypedData> =>
  Object.fromEntries(
    Object.entries(fn.metadata.bindings)
      .filter(([, binding]) => binding.type === "durableClient" || binding.type === "orchestrationClient")
      .map(([name]) => [name, jsonData(durable.clientBindingValue())]),
  );

/** Where LOCAL_HOST_COUNTERS=true serves the work counters (counters.ts) on the HTTP port. */
export const COUNTERS_PATH = "/runtime/counters";

const serveCounters = (res: ServerResponse): Promise<boolean> => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ counters: counterSnapshot() }));
  return Promise.resolve(true);
};

/** The durable runtime and the HTTP triggers on one port (the durable client calls back into it). */
const startDurableAndHttp = async (
  { env, options, host, stops }: StartContext,
  shim: FunctionsCoreShim,
  storage: string,
  adminKey: string,
): Promise<{ durable: DurableRuntime; http: RunningHttpHost }> => {
  const { log } = options;
  let baseUrl = "";
  const durable = new DurableRuntime({
    shim,
    storageConnection: storage,
    // Resolved now: the app's settings (local.settings.json, local defaults) are in process.env by this point.
    taskHub: resolveTaskHub(host.taskHub, process.env),
    maxConcurrentActivities: host.maxConcurrentActivities,
    maxLoadedOrchestrations: maxLoadedSetting(env),
    drainTimeoutMs: drainTimeoutSetting(env),
    ...(host.functionTimeoutMs === undefined ? {} : { functionTimeoutMs: host.functionTimeoutMs }),
    publicBaseUrl: () => baseUrl,
    log: (level, message) =>
      log(level === "warn" ? "warning" : level === "info" ? "information" : "error", "durable", message),
    functionLog: log,
  });
  const functionKeys = functionKeysFrom(
    env,
    shim.byTriggerType("httpTrigger").map((fn) => fn.name),
  );
  if (Object.keys(functionKeys).length > 0)
    log(
      "information",
      "http",
      `own function keys (FUNCTION_KEY_*) for: ${Object.keys(functionKeys).join(", ")}`,
    );
  const http = await startHttpHost(portSetting(env, "PORT", 7071), {
    shim,
    adminKey,
    functionKeys,
    routePrefix: host.routePrefix,
    ...(host.functionTimeoutMs === undefined ? {} : { functionTimeoutMs: host.functionTimeoutMs }),
    log,
    extraInputs: (fn) => durableClientInputs(fn, durable),
    extra: (req, res) =>
      countersSetting(env) && req.method === "GET" && req.url === COUNTERS_PATH
        ? serveCounters(res)
        : durable.handleHttp(req, res),
  });
  stops.add(() => http.stop());
  baseUrl = http.url;
  await durable.start();
  stops.add(() => durable.stop());
  return { durable, http };
};

/** Event Hub triggers, each fed by its own consumer client (its hub and consumer group) with blob checkpoints. */
const startEventHubTriggers = async (
  ctx: StartContext,
  shim: FunctionsCoreShim,
  durable: DurableRuntime,
  storage: string,
  plan: EventHubsPlan,
): Promise<void> => {
  const { options, host, dataDir, stops } = ctx;
  for (const feed of plan.feeds) {
    const feeder = await startEventHubHost({
      shim,
      fn: feed.fn,
      connectionString: feed.connectionString,
      eventHubName: feed.eventHubName,
      consumerGroup: feed.consumerGroup,
      storageConnection: storage,
      checkpointContainer: "azure-webjobs-eventhub",
      maxBatchSize: host.maxEventBatchSize,
      maxWaitTimeInSeconds: host.maxWaitTimeSeconds,
      log: options.log,
      extraInputs: (f) => durableClientInputs(f, durable),
      ...(options.inMemory ? {} : { consumerId: stableConsumerId(dataDir, feed.fn.name) }),
      drainTimeoutMs: drainTimeoutSetting(ctx.env),
      ...(host.functionTimeoutMs === undefined ? {} : { functionTimeoutMs: host.functionTimeoutMs }),
    });
    stops.add(() => feeder.stop());
  }
};

/** <dataDir>/runtime.json: how tools reach this host. The admin key is a local secret: an owner-only file. */
const writeRuntimeFile = (info: RuntimeInfo): void => {
  mkdirSync(info.dataDir, { recursive: true });
  writeFileSync(path.join(info.dataDir, "runtime.json"), JSON.stringify(info, null, 2) + "\n", {
    mode: 0o600,
  });
};

/**
 * Starts everything a local run needs: storage and Event Hubs (embedded unless real connections are configured),
 * the app's own registrations captured through the functions-core shim, the durable runtime, the HTTP, Event Hub
 * and timer triggers. Each part is stopped again if a later one fails to start.
 */
export const startLocalRuntime = async (options: LocalRuntimeOptions): Promise<RunningLocalRuntime> => {
  favourSmallHeap();
  const { env } = options;
  if (countersSetting(env)) enableCounters();
  const stops = new StopList();
  try {
    const ctx: StartContext = {
      options,
      env,
      host: readHostJson(options.appRoot),
      dataDir: path.resolve(env.DATA_DIR ?? path.join(options.appRoot, ".data")),
      stops,
    };
    await ensurePortFree(portSetting(env, "PORT", 7071), "PORT");
    // Read before the settings are applied: env may be process.env, whose storage setting is then Azurite's.
    const storageEmbedded = isDevelopmentStorage(env.AzureWebJobsStorage);
    const storage = await startStorage(ctx);
    applySettings(ctx, storage);
    const eventHubs = new LocalEventHubs({
      hostEnv: env,
      settings: process.env,
      dataDir: options.inMemory ? undefined : path.join(ctx.dataDir, "eventhubs"),
      onStop: (stop) => stops.add(stop),
      log: options.log,
    });
    await eventHubs.beforeLoad();
    const { shim, uninstall } = await loadApp(ctx);
    // Stops run newest first: the appTerminate hooks run once the triggers and the durable runtime have stopped,
    // while storage and the Event Hubs endpoint still serve (the worker runs them on WorkerTerminate).
    stops.add(() =>
      shim
        .runHooks("appTerminate", {})
        .catch((error: unknown) =>
          options.log(
            "error",
            "worker",
            `appTerminate hook failed: ${error instanceof Error ? error.message : String(error)}`,
          ),
        ),
    );
    const plan = await eventHubs.afterLoad(shim.byTriggerType("eventHubTrigger"));
    const services = {
      storageConnectionString: storage,
      storageEmbedded,
      eventHubsEmbedded: eventHubs.embedded,
    };
    const adminKey = adminKeyFor(env);
    const { durable, http } = await startDurableAndHttp(ctx, shim, storage, adminKey);
    await startEventHubTriggers(ctx, shim, durable, storage, plan);
    const timers = startTimerHost(
      shim,
      options.log,
      (fn) => durableClientInputs(fn, durable),
      undefined,
      ctx.host.functionTimeoutMs,
    );
    stops.add(() => Promise.resolve(timers.stop()));
    uninstall();
    const info: RuntimeInfo = {
      ready: true,
      adminUrl: `${http.url}/${ctx.host.routePrefix}`,
      adminKey,
      eventHubConnectionString: plan.primary.connectionString,
      eventHubName: plan.primary.name,
      eventHubs: plan.hubs,
      dataDir: ctx.dataDir,
    };
    writeRuntimeFile(info);
    return { info, services, shim, durable, stop: () => stops.stopAll() };
  } catch (error) {
    await stops.stopAll();
    throw error;
  }
};
