import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { type RunningAzurite, startAzurite } from "../../../src/local/azurite";
import { type AdminClient, adminClient } from "../../agent/adminClient";
import { CLI, type ReadyLine, REPO_ROOT, type RuntimeProcess, stopChild } from "../../agent/runtimeProcess";

/** A runtime that can also be killed without warning. */
export interface KillableRuntime extends RuntimeProcess {
  /** SIGKILL: no shutdown hook runs; resolves once the process is gone. */
  kill(): Promise<void>;
}

/**
 * Spawns `dispatcher start --json` (persistent unless `inMemory`) and resolves with its ready line.
 * agent/runtimeProcess always runs --in-memory; a crash test needs the Event Hubs endpoint's log on disk so a
 * restart on the same DATA_DIR sees the events (and sequence numbers) from before the kill.
 */
export const spawnRuntime = (
  env: Readonly<Record<string, string>>,
  options: { inMemory: boolean; timeoutMs?: number },
): Promise<KillableRuntime> => {
  const args = [CLI, "start", "--json", ...(options.inMemory ? ["--in-memory"] : [])];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    if (stderr.length < 2_000_000) stderr += chunk.toString();
  });
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise<KillableRuntime>((resolve, reject) => {
    let stdout = "";
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`The local runtime ${why}.\n--- runtime stderr ---\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`printed no ready line within ${timeoutMs} ms`), timeoutMs);
    child.once("exit", (code, signal) => fail(`exited (code ${String(code)}, signal ${String(signal)})`));
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const end = stdout.indexOf("\n");
      if (end < 0) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      resolve({
        info: JSON.parse(stdout.slice(0, end)) as ReadyLine,
        pid: child.pid ?? -1,
        stderr: () => stderr,
        stop: (graceMs) => stopChild(child, graceMs ?? 5000),
        kill: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGKILL");
          }),
      });
    });
  });
};

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
}

export const startFaultStack = async (options: FaultStackOptions = {}): Promise<FaultStack> => {
  const persistent = options.persistent ?? false;
  const dataDir = mkdtempSync(path.join(tmpdir(), "dispatcher-faults-"));
  const azurite = await startAzurite(persistent ? { location: path.join(dataDir, "azurite") } : {});
  const env = {
    ...FAULT_RUNTIME_SETTINGS,
    ...options.env,
    DATA_DIR: dataDir,
    AzureWebJobsStorage: azurite.connectionString,
  };
  const launch = (): Promise<KillableRuntime> => spawnRuntime(env, { inMemory: !persistent });
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
