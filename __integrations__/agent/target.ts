/**
 * Where the suite points: the running dispatcher (admin API, Event Hub, storage) and how its receivers are reached.
 * The native globalSetup fills these in from the local runtime's ready line; in docker-compose the test-agent
 * container gets them from its environment.
 */
export interface Target {
  readonly adminUrl: string;
  readonly adminKey: string;
  readonly eventHubConnection: string;
  readonly eventHubName: string;
  /** The storage account the dispatcher uses (to read RejectedEvents); absent when the suite cannot reach it. */
  readonly storageConnection?: string;
  /** Host name the dispatcher uses to reach this agent's receivers. */
  readonly receiverHost: string;
  /** Address the receivers listen on. */
  readonly receiverBindHost: string;
}

export const TARGET_ENV = {
  adminUrl: "INTEGRATION_ADMIN_URL",
  adminKey: "INTEGRATION_ADMIN_KEY",
  eventHubConnection: "INTEGRATION_EVENTHUB_CONNECTION",
  eventHubName: "INTEGRATION_EVENTHUB_NAME",
  storageConnection: "INTEGRATION_STORAGE_CONNECTION",
  receiverHost: "INTEGRATION_RECEIVER_HOST",
  receiverBindHost: "INTEGRATION_RECEIVER_BIND_HOST",
} as const;

const required = (env: NodeJS.ProcessEnv, name: string): string => {
  const value = env[name];
  if (value === undefined || value === "")
    throw new Error(`${name} is not set: run the suite through its jest config (globalSetup sets it)`);
  return value;
};

export const targetFromEnv = (env: NodeJS.ProcessEnv = process.env): Target => {
  const storage = env[TARGET_ENV.storageConnection];
  return {
    adminUrl: required(env, TARGET_ENV.adminUrl).replace(/\/+$/, ""),
    adminKey: required(env, TARGET_ENV.adminKey),
    eventHubConnection: required(env, TARGET_ENV.eventHubConnection),
    eventHubName: env[TARGET_ENV.eventHubName] ?? "io-events",
    ...(storage === undefined || storage === "" ? {} : { storageConnection: storage }),
    receiverHost: env[TARGET_ENV.receiverHost] ?? "127.0.0.1",
    receiverBindHost: env[TARGET_ENV.receiverBindHost] ?? "127.0.0.1",
  };
};

/** True when an outside target (docker-compose) is configured, so globalSetup starts nothing. */
export const hasExternalTarget = (env: NodeJS.ProcessEnv = process.env): boolean =>
  (env[TARGET_ENV.adminUrl] ?? "") !== "";
