import path from "node:path";

import { runInForeground, type RuntimeInfo } from "functions-local-host";

import { localEncryptionKeys } from "./localSecretsKey";

/** The repository root (package.json main, host.json, .data), from dist/devtools. */
const APP_ROOT = path.resolve(__dirname, "..", "..");

/**
 * Webhooks on this machine (http://127.0.0.1:8080/...) are the point of running the dispatcher locally. The
 * ingest trigger names its hub and consumer group as %EVENTHUB_NAME% and %EVENTHUB_CONSUMER_GROUP%, which the
 * host resolves from the settings as Azure does (local.settings.json.example has the same values).
 */
const LOCAL_DEFAULTS = {
  ALLOW_INSECURE_WEBHOOKS: "true",
  ALLOW_PRIVATE_NETWORK_TARGETS: "true",
  EVENTHUB_NAME: "io-events",
  EVENTHUB_CONSUMER_GROUP: "$default",
  // Replays read the hub in a consumer group of their own (the live trigger's receivers own "$default"'s
  // partitions), which the embedded endpoint creates.
  EVENTHUB_REPLAY_CONSUMER_GROUP: "replays",
  EVENTHUB_EMULATOR_CONSUMER_GROUPS: "replays",
  // host.json names the task hub "%DURABLE_TASK_HUB%", so that Azure environments never share one.
  DURABLE_TASK_HUB: "PublicEventDispatcher",
} as const;

/**
 * DRAIN_TIMEOUT_SECONDS unless set (a shorter one set is refused): longer than any delivery can take (DELIVERY_TIMEOUT_MS, default 15 s), so a
 * graceful stop lets every running delivery activity finish (its deliveries run concurrently, each bounded by that
 * timeout) and record its results: the restart then sends nothing a receiver already answered. An unparsable
 * DELIVERY_TIMEOUT_MS is left to the app's config codec, which refuses it with its field path.
 */
export const drainTimeoutSeconds = (env: NodeJS.ProcessEnv): string => {
  const deliveryMs = Number(env.DELIVERY_TIMEOUT_MS ?? "15000");
  const needed = Number.isFinite(deliveryMs) ? Math.ceil(deliveryMs / 1000) + 10 : 30;
  const set = env.DRAIN_TIMEOUT_SECONDS;
  // A shorter drain would cut deliveries off mid-flight, and the restart would send them again.
  if (set !== undefined && set !== "" && Number.isFinite(Number(set)) && Number(set) < needed)
    throw new Error(
      `DRAIN_TIMEOUT_SECONDS (${set}) must be at least ${needed}: DELIVERY_TIMEOUT_MS plus 10 s, so that a stop lets every delivery under way finish`,
    );
  return String(Math.max(30, needed));
};

/** The data folder as the local host resolves it (LocalRuntimeOptions.appRoot: .data unless DATA_DIR is set). */
const dataDirOf = (env: NodeJS.ProcessEnv): string =>
  path.resolve(env.DATA_DIR ?? path.join(APP_ROOT, ".data"));

/** What `npm start` prints once the dispatcher is up: where things are and a webhook to try. */
export const banner = (info: RuntimeInfo): string =>
  [
    "",
    "  Public Event Dispatcher is running locally",
    "",
    `  Admin API      ${info.adminUrl}   (OpenAPI: ${info.adminUrl}/openapi.json)`,
    `  Admin key      ${info.adminKey}   (x-functions-key header; set ADMIN_KEY to choose one)`,
    `  Console        ${info.adminUrl}/console/   (sign in with the admin key)`,
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

/** `dispatcher start [--json] [--in-memory]`: the dispatcher on the local host, in the foreground. */
export const startCommand = async (args: ReadonlyArray<string>): Promise<void> => {
  const json = args.includes("--json");
  const inMemory = args.includes("--in-memory");
  const unknown = args.filter((a) => a !== "--json" && a !== "--in-memory");
  if (unknown.length > 0)
    throw new Error(`Unknown option ${unknown.join(" ")}. Usage: dispatcher start [--json] [--in-memory]`);
  // Webhook secrets are encrypted at rest (SECRETS_ENCRYPTION_KEYS): a local run keeps its key in its data folder.
  const keys = localEncryptionKeys(process.env, dataDirOf(process.env), inMemory);
  await runInForeground({
    appRoot: APP_ROOT,
    json,
    inMemory,
    banner,
    startingMessage: "Starting Azurite, the Event Hubs endpoint and the function app...",
    localDefaults: {
      ...LOCAL_DEFAULTS,
      DRAIN_TIMEOUT_SECONDS: drainTimeoutSeconds(process.env),
      ...(keys === undefined ? {} : { SECRETS_ENCRYPTION_KEYS: keys }),
    },
  });
};
