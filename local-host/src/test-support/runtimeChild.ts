import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

import type { RuntimeInfo } from "../runtime";

/**
 * Test support: startLocalRuntime in a plain Node process, from this package's TypeScript sources (transpiled on
 * require), on an app folder. Jest's module registry bypasses the Module._load hook that installFunctionsCore
 * patches, so a real app load needs its own process. The child prints its RuntimeInfo as one JSON line, or
 * exits 1 with the start error on stderr; it stops the runtime and exits when its stdin closes.
 */
export interface RuntimeChild {
  readonly info: RuntimeInfo;
  stop(): Promise<void>;
}

const SCRIPT = `
  const ts = require("typescript");
  const fs = require("node:fs");
  const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
  require.extensions[".ts"] = (module, filename) =>
    module._compile(ts.transpileModule(fs.readFileSync(filename, "utf8"), { compilerOptions, fileName: filename }).outputText, filename);
  const [runtimeFile, appRoot] = process.argv.slice(1);
  const { startLocalRuntime } = require(runtimeFile);
  startLocalRuntime({ appRoot, entryPoints: ["app.js"], env: process.env, inMemory: true, log: () => undefined }).then(
    (runtime) => {
      process.stdout.write(JSON.stringify(runtime.info) + "\\n");
      process.stdin.resume();
      process.stdin.on("end", () => runtime.stop().then(() => process.exit(0), () => process.exit(1)));
    },
    (error) => {
      process.stderr.write(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
`;

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", () => resolve()));

/** Starts the runtime on `appRoot` with exactly `env` (plus PATH); rejects with its start error. */
export const startRuntimeChild = (appRoot: string, env: Record<string, string>): Promise<RuntimeChild> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", SCRIPT, join(__dirname, "..", "runtime.ts"), appRoot], {
      cwd: join(__dirname, "..", ".."),
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n")[0];
      if (stdout.includes("\n") && line !== undefined)
        resolve({
          info: JSON.parse(line) as RuntimeInfo,
          stop: async () => {
            child.stdin?.end();
            // A stop that hangs must not hang the test run.
            const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
            await exited(child);
            clearTimeout(kill);
          },
        });
    });
    child.once("exit", (code) => reject(new Error(stderr === "" ? `runtime exited with ${code}` : stderr)));
  });
