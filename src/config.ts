import * as E from "fp-ts/Either";
import { pipe } from "fp-ts/function";
import * as t from "io-ts";

import {
  type EncryptionKeys,
  formatEncryptionKeys,
  parseEncryptionKeys,
} from "./adapters/tables/secretCipher";
import {
  decodeEventHubsConnection,
  decodeStorageConnection,
  type EventHubsConnection,
  type StorageConnection,
} from "./connectionSettings";

/**
 * Every setting the app reads, decoded once from process.env. A bad setting stops start-up with a message that
 * names the setting and what it must be, never its value (settings may hold connection strings and keys).
 */

const withDefault = <A, O>(codec: t.Type<A, O>, fallback: O): t.Type<A, O> =>
  new t.Type<A, O>(
    codec.name,
    codec.is,
    (u, c) => (u === undefined || u === "" ? codec.validate(fallback, c) : codec.validate(u, c)),
    codec.encode,
  );

const IntFromString = (name: string, min: number, max: number): t.Type<number, string> =>
  new t.Type<number, string>(
    name,
    (u): u is number => typeof u === "number",
    (u, c) => {
      const n = typeof u === "string" && /^-?\d+$/.test(u.trim()) ? Number(u) : NaN;
      return Number.isSafeInteger(n) && n >= min && n <= max ? t.success(n) : t.failure(u, c);
    },
    String,
  );

const BooleanFromString = new t.Type<boolean, string>(
  "boolean (true or false)",
  (u): u is boolean => typeof u === "boolean",
  (u, c) => {
    const s = typeof u === "string" ? u.trim().toLowerCase() : "";
    return s === "true" ? t.success(true) : s === "false" ? t.success(false) : t.failure(u, c);
  },
  String,
);

const NonEmpty = new t.Type<string, string>(
  "non-empty string",
  (u): u is string => typeof u === "string" && u.length > 0,
  (u, c) => (typeof u === "string" && u.trim().length > 0 ? t.success(u.trim()) : t.failure(u, c)),
  String,
);

/** Azure table names: 3-63 alphanumerics, starting with a letter. */
const TableName = new t.Type<string, string>(
  "table name (3-63 letters and digits, starting with a letter)",
  (u): u is string => typeof u === "string",
  (u, c) => (typeof u === "string" && /^[A-Za-z][A-Za-z0-9]{2,62}$/.test(u) ? t.success(u) : t.failure(u, c)),
  String,
);

/** Durations like "0", "500ms", "5s", "2m", "1h", "5d"; a bare number is seconds. */
const DURATION = /^(\d+)(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const parseDurationMs = (text: string): number | undefined => {
  const match = DURATION.exec(text.trim());
  if (match?.[1] === undefined) return undefined;
  return Number(match[1]) * (UNIT_MS[match[2] ?? "s"] ?? 1000);
};

/** A comma-separated retry schedule, e.g. "0,5s,30s,2m,10m,30m,1h,2h". */
const RetrySchedule = new t.Type<ReadonlyArray<number>, string>(
  "comma-separated durations such as 0,5s,30s,2m,1h (1 to 20 of them)",
  (u): u is ReadonlyArray<number> => Array.isArray(u),
  (u, c) => {
    if (typeof u !== "string") return t.failure(u, c);
    const parts = u.split(",").map(parseDurationMs);
    return parts.length >= 1 && parts.length <= 20 && parts.every((p) => p !== undefined)
      ? t.success(parts)
      : t.failure(u, c);
  },
  (schedule) => schedule.map((ms) => `${ms}ms`).join(","),
);

/** One duration (see parseDurationMs) up to `maxMs`, as milliseconds. */
const DurationFromString = (name: string, maxMs: number): t.Type<number, string> =>
  new t.Type<number, string>(
    name,
    (u): u is number => typeof u === "number",
    (u, c) => {
      const ms = typeof u === "string" ? parseDurationMs(u) : undefined;
      return ms !== undefined && ms <= maxMs ? t.success(ms) : t.failure(u, c);
    },
    (ms) => `${ms}ms`,
  );

/** SECRETS_ENCRYPTION_KEYS: "keyId:base64,keyId:base64", the first encrypts (see secretCipher.ts). */
const EncryptionKeysFromString = new t.Type<EncryptionKeys, string>(
  "comma-separated keyId:base64 of a 32-byte key, the key that encrypts first",
  (u): u is EncryptionKeys => Array.isArray(u),
  (u, c) => {
    if (typeof u !== "string" || u.trim() === "") return t.failure(u, c);
    const parsed = parseEncryptionKeys(u);
    return E.isRight(parsed) ? t.success(parsed.right) : t.failure(u, c, parsed.left);
  },
  formatEncryptionKeys,
);

export const DEFAULT_RETRY_SCHEDULE = "0,5s,30s,2m,10m,30m,1h,2h";

/** The plain settings, one key each. The two connections (several keys each) are decoded beside them. */
export const Settings = t.type({
  WEBHOOKS_TABLE: withDefault(TableName, "Webhooks"),
  DELIVERY_ATTEMPTS_TABLE: withDefault(TableName, "DeliveryAttempts"),
  DEAD_LETTERS_TABLE: withDefault(TableName, "DeadLetters"),
  REJECTED_EVENTS_TABLE: withDefault(TableName, "RejectedEvents"),
  WEBHOOK_HEALTH_TABLE: withDefault(TableName, "WebhookHealth"),
  SUBJECT_STREAMS_TABLE: withDefault(TableName, "SubjectStreams"),
  WEBHOOK_CACHE_TTL_SECONDS: withDefault(IntFromString("integer seconds 0-3600", 0, 3600), "30"),
  ALLOW_INSECURE_WEBHOOKS: withDefault(BooleanFromString, "false"),
  ALLOW_PRIVATE_NETWORK_TARGETS: withDefault(BooleanFromString, "false"),
  SECRET_ROTATION_GRACE_SECONDS: withDefault(
    IntFromString("integer seconds 0-2592000", 0, 2_592_000),
    "86400",
  ),
  EVENTHUB_NAME: withDefault(NonEmpty, "io-events"),
  EVENTHUB_CONSUMER_GROUP: withDefault(NonEmpty, "$default"),
  /** The consumer group replays read with (never the live one's checkpoints; Azure allows few readers each). */
  EVENTHUB_REPLAY_CONSUMER_GROUP: withDefault(NonEmpty, "replays"),
  REPLAYS_TABLE: withDefault(TableName, "Replays"),
  DELIVERY_CHUNK_SIZE: withDefault(IntFromString("integer 1-1000", 1, 1000), "200"),
  /**
   * A batch that follows the partition's last one within this many ms skips the exists check (ingest/continuity.ts);
   * 0 checks every batch. Keep it below the Event Hubs load balancer's update interval.
   */
  INGEST_FOLLOW_WINDOW_MS: withDefault(IntFromString("integer ms 0-10000", 0, 10_000), "1000"),
  /**
   * The ingest makes the first attempts of a batch whose plan has at most INGEST_FIRST_ROUND_MAX deliveries itself
   * (ingest.ts); only what they do not settle goes to a dispatch orchestration. false: every batch gets an
   * orchestration, which plans and sends.
   */
  INGEST_FIRST_ROUND: withDefault(BooleanFromString, "true"),
  /** The largest plan (deliveries) the ingest's first round sends, in DELIVERY_CHUNK_SIZE chunks at once. */
  INGEST_FIRST_ROUND_MAX: withDefault(IntFromString("integer 1-10000", 1, 10_000), "1000"),
  /** The ingest's first attempts give up after this (its partition waits meanwhile); the retries get the full time. */
  INGEST_ATTEMPT_TIMEOUT_MS: withDefault(IntFromString("integer ms 100-300000", 100, 300_000), "3000"),
  DELIVERY_CONNECT_TIMEOUT_MS: withDefault(IntFromString("integer ms 100-60000", 100, 60_000), "5000"),
  DELIVERY_TIMEOUT_MS: withDefault(IntFromString("integer ms 100-300000", 100, 300_000), "15000"),
  RETRY_SCHEDULE: withDefault(RetrySchedule, DEFAULT_RETRY_SCHEDULE),
  DELIVERY_LOG_RETENTION_DAYS: withDefault(IntFromString("integer days 1-365", 1, 365), "30"),
  /**
   * Endpoint health: how long counter-only updates (every attempt delivered, no failing streak) may wait to be
   * written together (webhookHealth.ts); 0 writes every chunk's at once.
   */
  HEALTH_FLUSH_SECONDS: withDefault(IntFromString("integer seconds 0-300", 0, 300), "10"),
  /** Disable a webhook whose every delivery has failed for this long (ms; 0: never). */
  AUTO_DISABLE_AFTER: withDefault(
    DurationFromString("a duration such as 5d, 36h, 90m or 0 (off), at most 365d", 365 * 86_400_000),
    "5d",
  ),
  /** Finished orchestrations created longer ago are purged hourly (0: never). At least EVENTHUB_RETENTION_DAYS. */
  ORCHESTRATION_HISTORY_RETENTION_DAYS: withDefault(IntFromString("integer days 0-3650", 0, 3650), "7"),
  /** The hub's message retention (Basic 1 day, Standard up to 7, Premium and Dedicated up to 90). */
  EVENTHUB_RETENTION_DAYS: withDefault(IntFromString("integer days 1-90", 1, 90), "7"),
  /** Keys that encrypt webhook secrets and header values in the Webhooks table. Required: no plaintext mode. */
  SECRETS_ENCRYPTION_KEYS: EncryptionKeysFromString,
});
export type Settings = t.TypeOf<typeof Settings>;

export type Config = Settings & {
  /** AzureWebJobsStorage: tables here (and, in Azure, the Functions host and Durable task hub). */
  readonly storage: StorageConnection;
  /** EVENTHUB_CONNECTION: the form found. The trigger (the host) connects with it, and so do replays. */
  readonly eventHubs: EventHubsConnection;
};

export class ConfigError extends Error {
  constructor(readonly settings: ReadonlyArray<string>) {
    super(`Invalid configuration: ${settings.join("; ")}`);
    this.name = "ConfigError";
  }
}

/** Readable errors: the setting's name, what it must be and what is wrong (codecs' messages hold no values). */
const describe = (errors: t.Errors): ReadonlyArray<string> => [
  ...new Set(
    errors.map((error) => {
      const setting = error.context[1]?.key ?? "(settings)";
      const expected = error.context[error.context.length - 1]?.type.name ?? "a valid value";
      const missing = error.value === undefined ? " is missing" : " is invalid";
      const why = error.message === undefined ? "" : ` (${error.message})`;
      return `${setting}${missing}: expected ${expected}${why}`;
    }),
  ),
];

export const decodeConfig = (
  env: Readonly<Record<string, string | undefined>>,
): E.Either<ConfigError, Config> => {
  const settings = pipe(Settings.decode(env), E.mapLeft(describe));
  const storage = decodeStorageConnection(env);
  const eventHubs = decodeEventHubsConnection(env);
  if (E.isLeft(settings) || E.isLeft(storage) || E.isLeft(eventHubs))
    return E.left(
      new ConfigError([
        ...(E.isLeft(storage) ? storage.left : []),
        ...(E.isLeft(settings) ? settings.left : []),
        ...(E.isLeft(eventHubs) ? eventHubs.left : []),
      ]),
    );
  const purgeTooSoon =
    settings.right.ORCHESTRATION_HISTORY_RETENTION_DAYS > 0 &&
    settings.right.ORCHESTRATION_HISTORY_RETENTION_DAYS < settings.right.EVENTHUB_RETENTION_DAYS;
  if (purgeTooSoon)
    // A batch is deduplicated by its orchestration's instance id; purged while the hub can still redeliver the
    // batch (a lost checkpoint, a consumer group reset), the batch would be dispatched a second time.
    return E.left(
      new ConfigError([
        "ORCHESTRATION_HISTORY_RETENTION_DAYS is invalid: expected 0 (never purge) or at least " +
          "EVENTHUB_RETENTION_DAYS, so no orchestration is purged while the Event Hub can still redeliver its batch",
      ]),
    );
  return E.right({ ...settings.right, storage: storage.right, eventHubs: eventHubs.right });
};

let cached: Config | undefined;

/** The process's configuration, decoded once. Throws ConfigError naming every bad setting. */
export const config = (): Config => {
  if (cached === undefined) {
    const decoded = decodeConfig(process.env);
    if (E.isLeft(decoded)) throw decoded.left;
    cached = decoded.right;
  }
  return cached;
};

/** For tests and the local runtime after it has filled in the environment. */
export const resetConfigForTests = (): void => {
  cached = undefined;
};

/**
 * Telemetry settings, decoded on their own before the app's modules load (src/adapters/telemetry/startup.ts):
 * the exporter is chosen from them, and a bad value here must not stop a process whose other settings are
 * fine. APPLICATIONINSIGHTS_CONNECTION_STRING wins over OTEL_EXPORTER_OTLP_ENDPOINT; neither: nothing is exported.
 */
const HttpUrl = new t.Type<string, string>(
  "http(s) URL",
  (u): u is string => typeof u === "string",
  (u, c) => {
    if (typeof u !== "string") return t.failure(u, c);
    try {
      const url = new URL(u.trim());
      return url.protocol === "http:" || url.protocol === "https:" ? t.success(u.trim()) : t.failure(u, c);
    } catch {
      return t.failure(u, c);
    }
  },
  String,
);
const optional = <A, O>(codec: t.Type<A, O>): t.Type<A | undefined, O | undefined> =>
  new t.Type<A | undefined, O | undefined>(
    codec.name,
    (u): u is A | undefined => u === undefined || codec.is(u),
    (u, c) =>
      u === undefined || (typeof u === "string" && u.trim() === "")
        ? t.success(undefined)
        : codec.validate(u, c),
    (a) => (a === undefined ? undefined : codec.encode(a)),
  );

export const TelemetrySettings = t.type({
  /** Application Insights: traces, metrics and logs through @azure/monitor-opentelemetry. */
  APPLICATIONINSIGHTS_CONNECTION_STRING: optional(NonEmpty),
  /** "Authorization=AAD;ClientId=<id>": send with the (user-assigned) managed identity's token (local auth off). */
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: optional(NonEmpty),
  /** OTLP/HTTP (JSON) collector base URL: /v1/traces, /v1/metrics and /v1/logs are appended. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(HttpUrl),
  OTEL_SERVICE_NAME: withDefault(NonEmpty, "public-event-dispatcher"),
  /** How often metrics are exported (OTLP). */
  OTEL_METRIC_EXPORT_INTERVAL: withDefault(IntFromString("integer ms 100-3600000", 100, 3_600_000), "60000"),
  /** How long finished spans and log records wait to be sent in a batch (OTLP). */
  OTEL_BSP_SCHEDULE_DELAY: withDefault(IntFromString("integer ms 0-600000", 0, 600_000), "5000"),
});
export type TelemetrySettings = t.TypeOf<typeof TelemetrySettings>;

export const decodeTelemetrySettings = (
  env: Readonly<Record<string, string | undefined>>,
): E.Either<ConfigError, TelemetrySettings> =>
  pipe(
    TelemetrySettings.decode(env),
    E.mapLeft((errors) => new ConfigError(describe(errors))),
  );

/**
 * The plain settings the app cannot start without: those whose codec has no default (an unset value does not
 * decode). Derived from the codec, for the infrastructure's policy test (infra/infra.test.ts); the two
 * connections are checked there with their own decoders.
 */
export const requiredPlainSettings = (): ReadonlyArray<string> =>
  Object.entries(Settings.props as Record<string, t.Mixed>)
    .filter(([, codec]) => E.isLeft(codec.decode(undefined)))
    .map(([key]) => key);
