import path from "node:path";

import type { LogLevel } from "@azure/functions";

import { type RuntimeInfo, startLocalRuntime } from "./runtime";

const APP_ROOT = path.resolve(__dirname, "..", "..", "..");
const FUNCTIONS_DIR = path.resolve(__dirname, "..", "functions");

const LEVELS: Record<string, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
};

const banner = (info: RuntimeInfo): string =>
  [
    "",
    "  Public Event Dispatcher is running locally",
    "",
    `  Admin API      ${info.adminUrl}   (OpenAPI: ${info.adminUrl}/openapi.json)`,
    `  Admin key      ${info.adminKey}   (x-functions-key header; set ADMIN_KEY to choose one)`,
    `  Event Hub      ${info.eventHubConnectionString}`,
    `  Data           ${info.dataDir}`,
    "",
    "  Try it (in another terminal; `npm run cli -- receive --port 8080` shows what arrives):",
    `    curl -s -X POST ${info.adminUrl}/webhooks -H 'x-functions-key: ${info.adminKey}' -H 'content-type: application/json' \\`,
    `      -d '{"url":"http://127.0.0.1:8080/hook","subscriptions":["ping"],"attributes":{"name":"me"}}'`,
    `    npm run cli -- publish '{"name":"ping:all"}'`,
    "",
    "  Ctrl+C stops everything.",
    "",
  ].join("\n");

/** `dispatcher start [--json] [--in-memory]`: the local runtime in the foreground until SIGINT/SIGTERM. */
export const startCommand = async (args: ReadonlyArray<string>): Promise<void> => {
  const json = args.includes("--json");
  const inMemory = args.includes("--in-memory");
  const unknown = args.filter((a) => a !== "--json" && a !== "--in-memory");
  if (unknown.length > 0)
    throw new Error(`Unknown option ${unknown.join(" ")}. Usage: dispatcher start [--json] [--in-memory]`);
  const threshold = LEVELS[process.env.LOG_LEVEL ?? "information"] ?? 2;
  const log = (level: LogLevel, source: string, message: string): void => {
    if ((LEVELS[level] ?? 2) >= threshold) process.stderr.write(`[${level}] ${source}: ${message}\n`);
  };
  if (!json) process.stderr.write("Starting Azurite, the Event Hubs endpoint and the function app...\n");
  const runtime = await startLocalRuntime({
    appRoot: APP_ROOT,
    functionsDir: FUNCTIONS_DIR,
    env: process.env,
    inMemory,
    log,
  });
  process.stdout.write(json ? JSON.stringify(runtime.info) + "\n" : banner(runtime.info));
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    if (!json) process.stderr.write(`\n${signal}: stopping...\n`);
    runtime.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
};
