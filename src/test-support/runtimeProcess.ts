import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

import type { RuntimeInfo } from "../local/runtime";

const CLI = path.resolve(__dirname, "..", "..", "dist", "src", "local", "cli.js");

export interface RuntimeProcess {
  readonly info: RuntimeInfo;
  readonly child: ChildProcess;
  /** Everything the runtime wrote to stderr so far (its log). */
  readonly log: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs the compiled local runtime (`dispatcher start --json`) as a child process, as a user's script would,
 * and resolves with its ready line. `npm test` builds first (pretest), so dist/ is current.
 */
export const spawnRuntime = (
  env: Record<string, string>,
  args: ReadonlyArray<string> = [],
): Promise<RuntimeProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "start", "--json", ...args], {
      env: { ...process.env, PORT: "0", EVENTHUB_EMULATOR_PORT: "0", LOG_LEVEL: "information", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`runtime not ready in 30 s:\n${stderr}`));
    }, 30_000);
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`runtime exited with ${String(code)} before it was ready:\n${stderr}`));
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (line === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      const info = JSON.parse(line) as RuntimeInfo;
      resolve({
        info,
        child,
        log: () => stderr,
        stop: (signal = "SIGTERM") =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
            const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
            child.once("exit", (code) => {
              clearTimeout(kill);
              done(code);
            });
            child.kill(signal);
          }),
      });
    });
  });

/** Polls until `check` holds or the deadline passes (then throws with `what`). */
export const waitFor = async (
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
