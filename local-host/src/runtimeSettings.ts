import { randomBytes } from "node:crypto";

/** Settings of startLocalRuntime read from the environment (README: Settings). */

/** DURABLE_MAX_LOADED_ORCHESTRATIONS: how many unfinished orchestrations the durable runtime holds in memory. */
export const maxLoadedSetting = (env: NodeJS.ProcessEnv): number | undefined => {
  const text = env.DURABLE_MAX_LOADED_ORCHESTRATIONS;
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error("DURABLE_MAX_LOADED_ORCHESTRATIONS must be a whole number >= 1");
  return n;
};

/** DRAIN_TIMEOUT_SECONDS (default 30): how long a stop waits for running activities and trigger invocations. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
export const drainTimeoutSetting = (env: NodeJS.ProcessEnv): number => {
  const text = env.DRAIN_TIMEOUT_SECONDS;
  if (text === undefined || text === "") return DEFAULT_DRAIN_TIMEOUT_MS;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error("DRAIN_TIMEOUT_SECONDS must be a number of seconds >= 0");
  return Math.round(n * 1000);
};

export const isDevelopmentStorage = (connection: string | undefined): boolean =>
  connection === undefined || connection === "" || /UseDevelopmentStorage=true/i.test(connection);

export const isDevelopmentEventHubs = (connection: string | undefined): boolean =>
  connection === undefined || connection === "" || /UseDevelopmentEmulator=true/i.test(connection);

/** The admin key for HTTP triggers: ADMIN_KEY, else a fresh random one for this run. */
export const adminKeyFor = (env: NodeJS.ProcessEnv): string =>
  env.ADMIN_KEY !== undefined && env.ADMIN_KEY !== "" ? env.ADMIN_KEY : randomBytes(24).toString("base64url");
