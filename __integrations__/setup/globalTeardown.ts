import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { takeRunning } from "./runningSuite";

/** Stops what globalSetup started (SIGTERM, SIGKILL after 5 s), keeps the runtime's log, removes the temp dir. */
export default async function globalTeardown(): Promise<void> {
  const { runtime, azurite, dataDir } = takeRunning();
  try {
    if (runtime !== undefined) {
      await runtime.stop(5000);
      // The runtime logs counts, ids and statuses, never payloads: safe to keep for a failed run's post-mortem.
      const logFile = path.join(tmpdir(), "dispatcher-integration-runtime.log");
      writeFileSync(logFile, runtime.stderr());
      process.stderr.write(`\nintegration: the runtime's log is in ${logFile}\n`);
    }
  } finally {
    await azurite?.stop();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  }
}
