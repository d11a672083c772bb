import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

import type { RuntimeInfo } from "functions-local-host";

/** The local runtime's ready line (`dispatcher start --json`): the runtime's own RuntimeInfo. */
export type ReadyLine = RuntimeInfo;

export interface RuntimeProcess {
  readonly info: ReadyLine;
  readonly pid: number;
  /** Everything the runtime wrote to stderr so far (its logs). */
  stderr(): string;
  /** Everything the runtime wrote to stdout so far, the ready line included. */
  stdout(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once: a crash (its Azurite, if it started one, saves and exits by itself). */
  kill(): Promise<void>;
  /** Sends `signal` to the runtime's process group (started with `detached`), else to the runtime alone. */
  signalGroup(signal: NodeJS.Signals): void;
  /** Resolves once the runtime has exited, with its exit code (null when a signal ended it) and signal. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const CLI = path.join(REPO_ROOT, "dist", "devtools", "cli.js");

const MAX_LOG_CHARS = 2_000_000;

/**
 * Spawns `node dist/devtools/cli.js start --json [--in-memory]` with `env` on top of this process's environment
 * and resolves with the ready line. On timeout or early exit the error carries the runtime's stderr.
 * `inMemory: false` keeps the Event Hubs log and Azurite's data in DATA_DIR, so a restart resumes the work.
 */
export const startRuntimeProcess = (
  env: Readonly<Record<string, string>>,
  options: { inMemory?: boolean; timeoutMs?: number; detached?: boolean } = {},
): Promise<RuntimeProcess> => {
  const timeoutMs = options.timeoutMs ?? 60_000;
  // RUNTIME_NODE_ARGS (say "--cpu-prof --cpu-prof-dir=/tmp/prof") goes to the runtime's node, for profiling.
  const nodeArgs = (process.env.RUNTIME_NODE_ARGS ?? "").split(/\s+/).filter((a) => a !== "");
  const args = [...nodeArgs, CLI, "start", "--json", ...(options.inMemory === false ? [] : ["--in-memory"])];
  // `detached`: its own process group, so a test can signal the group as a closed terminal or a service manager
  // would (signalGroup).
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    if (stderr.length < MAX_LOG_CHARS) stderr += chunk.toString();
  });
  return new Promise<RuntimeProcess>((resolve, reject) => {
    let stdout = "";
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`The local runtime ${why}.\n--- runtime stderr ---\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`printed no ready line within ${timeoutMs} ms`), timeoutMs);
    const early = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`exited (code ${String(code)}, signal ${String(signal)})`);
    child.once("exit", early);
    let ready = false;
    child.stdout?.on("data", (chunk: Buffer) => {
      if (stdout.length < MAX_LOG_CHARS) stdout += chunk.toString();
      if (ready) return;
      const end = stdout.indexOf("\n");
      if (end < 0) return;
      ready = true;
      const line = stdout.slice(0, end);
      let info: ReadyLine;
      try {
        info = JSON.parse(line) as ReadyLine;
      } catch {
        // Anything on stdout ahead of the ready line breaks `start --json`'s contract: stop the child, say so.
        fail(`printed something other than its JSON ready line first:\n${line.slice(0, 200)}`);
        return;
      }
      clearTimeout(timer);
      child.off("exit", early);
      resolve({
        info,
        pid: child.pid ?? -1,
        stderr: () => stderr,
        stdout: () => stdout,
        stop: (graceMs) => stopChild(child, graceMs ?? 5000),
        kill: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGKILL");
          }),
        signalGroup: (signal) => {
          if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
          process.kill(options.detached === true ? -child.pid : child.pid, signal);
        },
        exited: () => exit,
      });
    });
  });
};

export const stopChild = (child: ChildProcess, graceMs: number): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
