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

/** Durations like "0", "500ms", "5s", "2m", "1h"; a bare number is seconds. */
const DURATION = /^(\d+)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
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
  WEBHOOK_CACHE_TTL_SECONDS: withDefault(IntFromString("integer seconds 0-3600", 0, 3600), "30"),
  ALLOW_INSECURE_WEBHOOKS: withDefault(BooleanFromString, "false"),
  ALLOW_PRIVATE_NETWORK_TARGETS: withDefault(BooleanFromString, "false"),
  SECRET_ROTATION_GRACE_SECONDS: withDefault(
    IntFromString("integer seconds 0-2592000", 0, 2_592_000),
    "86400",
  ),
  EVENTHUB_NAME: withDefault(NonEmpty, "io-events"),
  EVENTHUB_CONSUMER_GROUP: withDefault(NonEmpty, "$default"),
  DELIVERY_CHUNK_SIZE: withDefault(IntFromString("integer 1-1000", 1, 1000), "200"),
  DELIVERY_CONNECT_TIMEOUT_MS: withDefault(IntFromString("integer ms 100-60000", 100, 60_000), "5000"),
  DELIVERY_TIMEOUT_MS: withDefault(IntFromString("integer ms 100-300000", 100, 300_000), "15000"),
  RETRY_SCHEDULE: withDefault(RetrySchedule, DEFAULT_RETRY_SCHEDULE),
  DELIVERY_LOG_RETENTION_DAYS: withDefault(IntFromString("integer days 1-365", 1, 365), "30"),
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
  /** EVENTHUB_CONNECTION: the form found. The trigger (the host) connects with it; the app makes no client. */
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
