import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
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
  /** How long to wait for both services to listen. */
  readonly startTimeoutMs?: number;
}

export interface RunningAzurite {
  readonly blobPort: number;
  readonly tablePort: number;
  readonly connectionString: string;
  stop(): Promise<void>;
}

export const azuriteConnectionString = (blobPort: number, tablePort: number): string =>
  [
    "DefaultEndpointsProtocol=http",
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=http://127.0.0.1:${blobPort}/${AZURITE_ACCOUNT}`,
    `TableEndpoint=http://127.0.0.1:${tablePort}/${AZURITE_ACCOUNT}`,
  ].join(";") + ";";

/**
 * Starts Azurite (blob + table) from the npm package as a child process bound to 127.0.0.1.
 * Ports are read back from Azurite's own "successfully listening" lines, so port 0 works.
 */
export const startAzurite = async (options: AzuriteOptions = {}): Promise<RunningAzurite> => {
  const entry = require.resolve("azurite/dist/src/azurite.js");
  const args = [
    entry,
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
    "0",
    "--skipApiVersionCheck",
    "--disableTelemetry",
    "--loose",
  ];
  if (options.location === undefined) {
    args.push("--inMemoryPersistence", "--extentMemoryLimit", "256");
  } else {
    mkdirSync(options.location, { recursive: true });
    args.push("--location", path.resolve(options.location));
  }
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const ports = await waitForPorts(child, options);
  return {
    ...ports,
    connectionString: azuriteConnectionString(ports.blobPort, ports.tablePort),
    stop: () => stopChild(child),
  };
};

const waitForPorts = (
  child: ChildProcess,
  options: AzuriteOptions,
): Promise<{ blobPort: number; tablePort: number }> =>
  new Promise((resolve, reject) => {
    let output = "";
    let blobPort: number | undefined;
    let tablePort: number | undefined;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`Azurite did not start within ${options.startTimeoutMs ?? 20000} ms:\n${output}`));
    }, options.startTimeoutMs ?? 20000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      blobPort ??= readPort(output, "Blob");
      tablePort ??= readPort(output, "Table");
      if (blobPort !== undefined && tablePort !== undefined) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve({ blobPort, tablePort });
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
