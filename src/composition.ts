import { randomBytes, randomUUID } from "node:crypto";

import { TableClient } from "@azure/data-tables";

import { type CachedWebhookStore, withReadThroughCache } from "./adapters/tables/cachedWebhookStore";
import { makeTableWebhookStore } from "./adapters/tables/webhookStore";
import { type Config, config } from "./config";
import { blockedHostLiteralReason } from "./domain/addressPolicy";
import { type WebhookInputPolicy } from "./domain/webhookInput";

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
}

export const systemClock = { now: (): Date => new Date() };

export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString("base64")}`;

export const tableClientFor = (connectionString: string, table: string): TableClient =>
  TableClient.fromConnectionString(connectionString, table, {
    allowInsecureConnection: /UseDevelopmentStorage=true|=http:\/\//i.test(connectionString),
  });

export const webhookPolicyOf = (settings: Config): WebhookInputPolicy => ({
  allowInsecure: settings.ALLOW_INSECURE_WEBHOOKS,
  blockedHostReason: settings.ALLOW_PRIVATE_NETWORK_TARGETS ? () => undefined : blockedHostLiteralReason,
});

export const buildAppDeps = (settings: Config): AppDeps => {
  const clock = systemClock;
  const store = makeTableWebhookStore(
    tableClientFor(settings.AzureWebJobsStorage, settings.WEBHOOKS_TABLE),
    clock,
  );
  return {
    config: settings,
    clock,
    webhooks: withReadThroughCache(store, settings.WEBHOOK_CACHE_TTL_SECONDS * 1000, clock),
    webhookPolicy: webhookPolicyOf(settings),
    newId: () => `wh_${randomUUID().replace(/-/g, "")}`,
    newSecret: newWebhookSecret,
  };
};

let deps: AppDeps | undefined;

export const appDeps = (): AppDeps => (deps ??= buildAppDeps(config()));

/** Drops the built dependencies (tests, and the local runtime after it changed the environment). */
export const resetAppDeps = (): void => {
  deps = undefined;
};
