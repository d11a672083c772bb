import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { type RunningAzurite, startAzurite } from "functions-local-host";

import { type AdminClient, adminClient } from "../../agent/adminClient";
import { type RuntimeProcess, startRuntimeProcess } from "../../agent/runtimeProcess";

/** A runtime that can also be killed without warning. */
/** A runtime the fault tests can SIGKILL. */
export type KillableRuntime = RuntimeProcess;

/** Settings every fault test starts from; each test adds its own (retry schedule, address policy). */
export const FAULT_RUNTIME_SETTINGS: Readonly<Record<string, string>> = {
  PORT: "0",
  EVENTHUB_EMULATOR_PORT: "0",
  WEBHOOK_CACHE_TTL_SECONDS: "0",
  ALLOW_INSECURE_WEBHOOKS: "true",
  ALLOW_PRIVATE_NETWORK_TARGETS: "true",
  LOG_LEVEL: "warning",
};

/**
 * One fault test's world: its own Azurite (so the test reads every table the runtime writes), a temp DATA_DIR
 * and a runtime on free ports. `restart` starts a new runtime on the same data dir and storage.
 */
export interface FaultStack {
  readonly azurite: RunningAzurite;
  readonly dataDir: string;
  runtime: KillableRuntime;
  admin: AdminClient;
  restart(): Promise<KillableRuntime>;
  /** Stops the runtime and Azurite, removes the data dir (safe after failures and kills). */
  close(): Promise<void>;
}

export interface FaultStackOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Persistent data (Azurite and the Event Hubs log on disk) for crash and restart tests. */
  readonly persistent?: boolean;
  /** Starts the storage the runtime uses, given the data dir (default: an Azurite of the stack's own). */
  readonly storage?: (dataDir: string) => Promise<RunningAzurite>;
}

export const startFaultStack = async (options: FaultStackOptions = {}): Promise<FaultStack> => {
  const persistent = options.persistent ?? false;
  const dataDir = mkdtempSync(path.join(tmpdir(), "dispatcher-faults-"));
  const azurite = await (options.storage?.(dataDir) ??
    startAzurite(persistent ? { location: path.join(dataDir, "azurite") } : {}));
  const env = {
    ...FAULT_RUNTIME_SETTINGS,
    ...options.env,
    DATA_DIR: dataDir,
    AzureWebJobsStorage: azurite.connectionString,
  };
  const launch = (): Promise<KillableRuntime> => startRuntimeProcess(env, { inMemory: !persistent });
  let runtime: KillableRuntime;
  try {
    runtime = await launch();
  } catch (error) {
    await azurite.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const stack: FaultStack = {
    azurite,
    dataDir,
    runtime,
    admin: adminClient(runtime.info.adminUrl, runtime.info.adminKey),
    async restart() {
      stack.runtime = await launch();
      stack.admin = adminClient(stack.runtime.info.adminUrl, stack.runtime.info.adminKey);
      return stack.runtime;
    },
    async close() {
      try {
        await stack.runtime.stop(5000);
      } finally {
        await azurite.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
  return stack;
};
