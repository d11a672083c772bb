import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { startAzurite } from "functions-local-host";

import { CLI, startRuntimeProcess } from "../agent/runtimeProcess";
import { hasExternalTarget, TARGET_ENV } from "../agent/target";
import { rememberRunning, SUITE_RUNTIME_SETTINGS } from "./runningSuite";
import { waitForTarget } from "./waitForTarget";

/**
 * Native path: starts our own Azurite (so the suite can read every table) and the local runtime on free ports
 * with a temp DATA_DIR, waits for its ready line and exports the connection info as INTEGRATION_* variables.
 * Docker path: INTEGRATION_ADMIN_URL is already set (the test-agent container); waits for the target only.
 */
export default async function globalSetup(): Promise<void> {
  if (hasExternalTarget()) {
    await waitForTarget(process.env);
    return;
  }
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run "npm run build" first (npm run test:integration does)`);
  const dataDir = mkdtempSync(path.join(tmpdir(), "dispatcher-integration-"));
  const azurite = await startAzurite();
  try {
    const runtime = await startRuntimeProcess({
      ...SUITE_RUNTIME_SETTINGS,
      DATA_DIR: dataDir,
      AzureWebJobsStorage: azurite.connectionString,
    });
    rememberRunning({ azurite, runtime, dataDir });
    Object.assign(process.env, {
      [TARGET_ENV.adminUrl]: runtime.info.adminUrl,
      [TARGET_ENV.adminKey]: runtime.info.adminKey,
      [TARGET_ENV.eventHubConnection]: runtime.info.eventHubConnectionString,
      [TARGET_ENV.eventHubName]: runtime.info.eventHubName,
      [TARGET_ENV.storageConnection]: azurite.connectionString,
      [TARGET_ENV.receiverHost]: "127.0.0.1",
      [TARGET_ENV.receiverBindHost]: "127.0.0.1",
    });
  } catch (error) {
    // jest skips globalTeardown when globalSetup fails: clean up here.
    await azurite.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
