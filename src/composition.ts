import { randomBytes, randomUUID } from "node:crypto";

import type { TableClient } from "@azure/data-tables";

import { azureCredential } from "./adapters/azureCredential";
import { makeWebhookSender, type WebhookSender } from "./adapters/delivery/webhookSender";
import { type HubReader, makeHubReader } from "./adapters/hub/hubReader";
import { type CachedWebhookStore, withReadThroughCache } from "./adapters/tables/cachedWebhookStore";
import { type DeadLetterStore, makeTableDeadLetterStore } from "./adapters/tables/deadLetters";
import { type DeliveryLog, makeTableDeliveryLog } from "./adapters/tables/deliveryLog";
import { makeTableRejectedEventsStore, type RejectedEventsStore } from "./adapters/tables/rejectedEvents";
import { makeTableReplayStore, type ReplayStore } from "./adapters/tables/replays";
import { makeSecretCipher } from "./adapters/tables/secretCipher";
import { makeTableStorageProbe, type StorageProbe } from "./adapters/tables/storageProbe";
import { makeTableSubjectStreams, type SubjectStreams } from "./adapters/tables/subjectStreams";
import { makeTableClientFactory } from "./adapters/tables/tableClients";
import { makeTableWebhookHealth, type WebhookHealthStore } from "./adapters/tables/webhookHealth";
import { makeTableWebhookStore } from "./adapters/tables/webhookStore";
import { processTelemetry } from "./adapters/telemetry/startup";
import { type Telemetry } from "./adapters/telemetry/telemetry";
import { type Config, config } from "./config";
import { blockedHostLiteralReason } from "./domain/addressPolicy";
import { type DispatchSettings } from "./domain/dispatch";
import { type WebhookInputPolicy } from "./domain/webhookInput";
import { USER_AGENT } from "./version";

/**
 * The composition root: builds the adapters from the configuration once per process. Function registrations
 * call `appDeps()` lazily inside handlers, so loading the app never touches storage.
 */
export interface AppDeps {
  readonly config: Config;
  readonly clock: { now(): Date };
  readonly webhooks: CachedWebhookStore;
  readonly webhookPolicy: WebhookInputPolicy;
  readonly newId: () => string;
  readonly newSecret: () => string;
  readonly deliveryLog: DeliveryLog;
  readonly deadLetters: DeadLetterStore;
  readonly rejectedEvents: RejectedEventsStore;
  /** Endpoint health per webhook, written by the deliver activities. */
  readonly webhookHealth: WebhookHealthStore;
  /** Numbering and progress of per-subject ordered streams. */
  readonly subjectStreams: SubjectStreams;
  /** Settings the dispatch orchestration is started with (so its replays are deterministic). */
  readonly dispatchSettings: DispatchSettings;
  /** One bounded read of storage, for the health route. */
  readonly storageProbe: StorageProbe;
  /** One HTTP sender per process: its connection pools are shared by every deliver activity. */
  readonly sender: () => WebhookSender;
  /** Replays from the Event Hub: their records, and the reader (its own consumer group; one client per process). */
  readonly replays: ReplayStore;
  readonly hubReader: () => HubReader;
  /** Traces and metrics (the process's, started before the app loaded; no-op without an exporter). */
  readonly telemetry: Telemetry;
}

export const systemClock = { now: (): Date => new Date() };

export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString("base64")}`;

/** One TableClient over a connection string (tests and dev tools that point at Azurite). */
export const tableClientFor = (
  connectionString: string,
  table: string,
  options: { maxRetries?: number } = {},
): TableClient => makeTableClientFactory({ kind: "connectionString", connectionString })(table, options);

/** The health probe's bound: one request, no retries, answered or given up within this. */
export const STORAGE_PROBE_TIMEOUT_MS = 1000;

export const webhookPolicyOf = (settings: Config): WebhookInputPolicy => ({
  allowInsecure: settings.ALLOW_INSECURE_WEBHOOKS,
  blockedHostReason: settings.ALLOW_PRIVATE_NETWORK_TARGETS ? () => undefined : blockedHostLiteralReason,
});

export const buildAppDeps = (settings: Config): AppDeps => {
  const clock = systemClock;
  const table = makeTableClientFactory(settings.storage);
  const cipher = makeSecretCipher(settings.SECRETS_ENCRYPTION_KEYS);
  const store = makeTableWebhookStore(table(settings.WEBHOOKS_TABLE), clock, cipher);
  let sender: WebhookSender | undefined;
  let hubReader: HubReader | undefined;
  return {
    config: settings,
    clock,
    webhooks: withReadThroughCache(store, settings.WEBHOOK_CACHE_TTL_SECONDS * 1000, clock),
    webhookPolicy: webhookPolicyOf(settings),
    newId: () => `wh_${randomUUID().replace(/-/g, "")}`,
    newSecret: newWebhookSecret,
    deliveryLog: makeTableDeliveryLog(table(settings.DELIVERY_ATTEMPTS_TABLE)),
    deadLetters: makeTableDeadLetterStore(table(settings.DEAD_LETTERS_TABLE)),
    rejectedEvents: makeTableRejectedEventsStore(table(settings.REJECTED_EVENTS_TABLE)),
    webhookHealth: makeTableWebhookHealth(table(settings.WEBHOOK_HEALTH_TABLE), clock, {
      lingerMs: settings.HEALTH_FLUSH_SECONDS * 1000,
    }),
    subjectStreams: makeTableSubjectStreams(table(settings.SUBJECT_STREAMS_TABLE)),
    storageProbe: makeTableStorageProbe(
      table(settings.WEBHOOKS_TABLE, { maxRetries: 0 }),
      STORAGE_PROBE_TIMEOUT_MS,
    ),
    dispatchSettings: {
      chunkSize: settings.DELIVERY_CHUNK_SIZE,
      retrySchedule: [...settings.RETRY_SCHEDULE],
    },
    telemetry: processTelemetry(),
    replays: makeTableReplayStore(table(settings.REPLAYS_TABLE)),
    hubReader: () =>
      (hubReader ??= makeHubReader({
        connection: settings.eventHubs,
        hubName: settings.EVENTHUB_NAME,
        consumerGroup: settings.EVENTHUB_REPLAY_CONSUMER_GROUP,
        credential: azureCredential,
      })),
    sender: () =>
      (sender ??= makeWebhookSender({
        connectTimeoutMs: settings.DELIVERY_CONNECT_TIMEOUT_MS,
        timeoutMs: settings.DELIVERY_TIMEOUT_MS,
        allowPrivateTargets: settings.ALLOW_PRIVATE_NETWORK_TARGETS,
        userAgent: USER_AGENT,
        clock,
      })),
  };
};

let deps: AppDeps | undefined;

export const appDeps = (): AppDeps => (deps ??= buildAppDeps(config()));

/** Drops the built dependencies (tests, and the local runtime after it changed the environment). */
export const resetAppDeps = (): void => {
  deps = undefined;
};
