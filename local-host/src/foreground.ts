import type { LogLevel } from "@azure/functions";

import { mainEntryPoints } from "./appEntry";
import { installCrashGuard } from "./crashGuard";
import { type LocalLog } from "./invocation";
import { type RunningLocalRuntime, type RuntimeInfo, startLocalRuntime } from "./runtime";

const LEVELS: Readonly<Record<string, number>> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
};

/** Log lines on stderr at or above LOG_LEVEL (default information), as `[level] source: message`. */
export const stderrLog = (env: NodeJS.ProcessEnv): LocalLog => {
  const threshold = LEVELS[env.LOG_LEVEL ?? "information"] ?? 2;
  return (level: LogLevel, source: string, message: string): void => {
    if ((LEVELS[level] ?? 2) >= threshold) process.stderr.write(`[${level}] ${source}: ${message}\n`);
  };
};

export interface ForegroundOptions {
  /** The app's root (package.json, host.json, .data); its entry points are package.json main. */
  readonly appRoot: string;
  /** One JSON line (the RuntimeInfo) on stdout instead of the banner. */
  readonly json: boolean;
  readonly inMemory: boolean;
  /** What a person reads on stdout once the host is ready (not used with json). */
  readonly banner: (info: RuntimeInfo, runtime: RunningLocalRuntime) => string;
  /** The line on stderr while starting (not used with json). */
  readonly startingMessage?: string;
  /** App settings for local runs, unless the environment sets them (see LocalRuntimeOptions). */
  readonly localDefaults?: Readonly<Record<string, string>>;
}

/**
 * Runs the local host in the foreground until SIGINT (Ctrl+C), SIGTERM (a service manager) or SIGHUP (the terminal
 * was closed), then stops gracefully and exits 0: intake stops, running work drains (DRAIN_TIMEOUT_SECONDS),
 * checkpoints and history are written, storage is saved. A second signal does not cut the drain short. An error
 * the app throws outside an invocation's promise is logged (naming the function when it can) and the host keeps
 * serving (crashGuard.ts).
 */
export const runInForeground = async (options: ForegroundOptions): Promise<void> => {
  const { json } = options;
  if (!json) process.stderr.write(`${options.startingMessage ?? "Starting the local host..."}\n`);
  const log = stderrLog(process.env);
  installCrashGuard(log);
  const runtime = await startLocalRuntime({
    appRoot: options.appRoot,
    entryPoints: mainEntryPoints(options.appRoot),
    env: process.env,
    inMemory: options.inMemory,
    log,
    ...(options.localDefaults === undefined ? {} : { localDefaults: options.localDefaults }),
  });
  process.stdout.write(json ? JSON.stringify(runtime.info) + "\n" : options.banner(runtime.info, runtime));
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    // After SIGHUP the terminal is gone: writing to it fails (EIO), which must not end the drain.
    for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
    if (!json) process.stderr.write(`\n${signal}: stopping (finishing running work)...\n`);
    runtime.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => stop(signal));
};
