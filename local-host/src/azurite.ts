import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Azurite's well-known development account (documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteOptions {
  /** Folder for persistent data; omit for an in-memory, throwaway instance. */
  readonly location?: string;
  /** 0 (the default) means any free port. */
  readonly blobPort?: number;
  readonly tablePort?: number;
  /** Azurite's queue service (the host itself needs none; `func start` with Durable Functions does). */
  readonly queuePort?: number;
  /** How long to wait for both services to listen. */
  readonly startTimeoutMs?: number;
}

export interface RunningAzurite {
  readonly blobPort: number;
  readonly tablePort: number;
  readonly queuePort: number;
  /** Blob, queue and table endpoints of the development account. */
  readonly connectionString: string;
  /** The child's process id (tests kill it to prove what survives). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export const azuriteConnectionString = (blobPort: number, tablePort: number, queuePort?: number): string =>
  [
    "DefaultEndpointsProtocol=http",
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=http://127.0.0.1:${blobPort}/${AZURITE_ACCOUNT}`,
    `TableEndpoint=http://127.0.0.1:${tablePort}/${AZURITE_ACCOUNT}`,
    ...(queuePort === undefined ? [] : [`QueueEndpoint=http://127.0.0.1:${queuePort}/${AZURITE_ACCOUNT}`]),
  ].join(";") + ";";

/** The child's entry (azuriteChild.ts, compiled): next to this file in dist, or in dist when run from src. */
const childEntry = (): string => {
  const candidates = [
    path.join(__dirname, "azuriteChild.js"),
    path.resolve(__dirname, "..", "dist", "azuriteChild.js"),
  ];
  const found = candidates.find((file) => existsSync(file));
  if (found === undefined)
    throw new Error(`Azurite's entry is not built (${candidates[1]}): run npm run build --prefix local-host`);
  return found;
};

/**
 * Starts Azurite (blob + table) from the npm package as a child process bound to 127.0.0.1, with a write-ahead
 * journal under its LokiJS databases when it persists to `location` (azuriteChild.ts).
 * Ports are read back from Azurite's own "successfully listening" lines, so port 0 works.
 */
export const startAzurite = async (options: AzuriteOptions = {}): Promise<RunningAzurite> => {
  const args = [
    childEntry(),
    "--blobHost",
    "127.0.0.1",
    "--tableHost",
    "127.0.0.1",
    "--queueHost",
    "127.0.0.1",
    "--blobPort",
    String(options.blobPort ?? 0),
    "--tablePort",
    String(options.tablePort ?? 0),
    "--queuePort",
    String(options.queuePort ?? 0),
    "--skipApiVersionCheck",
    "--disableTelemetry",
    "--loose",
  ];
  if (options.location === undefined) {
    args.push("--inMemoryPersistence", "--extentMemoryLimit", "256");
  } else {
    mkdirSync(options.location, { recursive: true });
    await waitForPreviousInstance(options.location);
    args.push("--location", path.resolve(options.location));
  }
  // Its own process group: a Ctrl+C or a closed terminal signals the runtime, which stops Azurite once it has
  // finished with it; a parent that dies, even by SIGKILL, closes the IPC channel and Azurite stops by itself.
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe", "ipc"], detached: true });
  child.channel?.unref();
  const ports = await waitForPorts(child, options);
  if (options.location !== undefined && child.pid !== undefined) {
    writeFileSync(pidFile(options.location), String(child.pid));
    child.once("exit", () => rmSync(pidFile(options.location!), { force: true }));
  }
  return {
    ...ports,
    connectionString: azuriteConnectionString(ports.blobPort, ports.tablePort, ports.queuePort),
    pid: child.pid,
    stop: () => stopChild(child),
  };
};

const pidFile = (location: string): string => path.join(location, "azurite.pid");

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * An Azurite left by a runtime that was killed is still saving its data to this folder: wait for it to finish
 * (it shuts down by itself once its parent is gone) so the new one loads everything.
 */
const waitForPreviousInstance = async (location: string, timeoutMs = 15_000): Promise<void> => {
  const file = pidFile(location);
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, "utf8"));
  const deadline = Date.now() + timeoutMs;
  while (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    if (Date.now() > deadline) {
      throw new Error(
        `Another Azurite (pid ${pid}) is still using ${location}; stop it or choose another DATA_DIR`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

const waitForPorts = (
  child: ChildProcess,
  options: AzuriteOptions,
): Promise<{ blobPort: number; tablePort: number; queuePort: number }> =>
  new Promise((resolve, reject) => {
    let output = "";
    let blobPort: number | undefined;
    let tablePort: number | undefined;
    let queuePort: number | undefined;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`Azurite did not start within ${options.startTimeoutMs ?? 20000} ms:\n${output}`));
    }, options.startTimeoutMs ?? 20000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      blobPort ??= readPort(output, "Blob");
      tablePort ??= readPort(output, "Table");
      queuePort ??= readPort(output, "Queue");
      if (blobPort !== undefined && tablePort !== undefined && queuePort !== undefined) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve({ blobPort, tablePort, queuePort });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with code ${String(code)} before it was ready:\n${output}`));
    });
  });

const readPort = (output: string, service: string): number | undefined => {
  const match = new RegExp(
    `Azurite ${service} service is successfully listening at http://[^:]+:(\\d+)`,
  ).exec(output);
  return match?.[1] === undefined ? undefined : Number(match[1]);
};

const stopChild = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
