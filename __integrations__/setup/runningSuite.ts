import { type RunningAzurite } from "functions-local-host";

import { type RuntimeProcess } from "../agent/runtimeProcess";

/** What globalSetup started, for globalTeardown (jest runs both in the same process). */
export interface RunningSuite {
  readonly azurite?: RunningAzurite;
  readonly runtime?: RuntimeProcess;
  readonly dataDir?: string;
}

const KEY = Symbol.for("dispatcher.integration.running");

export const rememberRunning = (running: RunningSuite): void => {
  (globalThis as Record<symbol, unknown>)[KEY] = running;
};

export const takeRunning = (): RunningSuite => {
  const running = (globalThis as Record<symbol, unknown>)[KEY] as RunningSuite | undefined;
  delete (globalThis as Record<symbol, unknown>)[KEY];
  return running ?? {};
};

/** Settings the suite runs the dispatcher with: fast retries, no webhook cache, receivers on loopback. */
export const SUITE_RUNTIME_SETTINGS: Readonly<Record<string, string>> = {
  PORT: "0",
  EVENTHUB_EMULATOR_PORT: "0",
  RETRY_SCHEDULE: "0,200ms,200ms",
  WEBHOOK_CACHE_TTL_SECONDS: "0",
  ALLOW_INSECURE_WEBHOOKS: "true",
  ALLOW_PRIVATE_NETWORK_TARGETS: "true",
  DELIVERY_TIMEOUT_MS: "5000",
};
