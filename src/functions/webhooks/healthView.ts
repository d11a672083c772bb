import * as t from "io-ts";

import { type StoredWebhook } from "../../adapters/tables/webhookEntity";
import {
  autoDisableAt,
  countsWithin,
  emptyHealth,
  type HealthRecord,
  LastAttempt,
} from "../../domain/health";

const Counts = t.intersection(
  [
    t.type({ deliveries: t.number, failures: t.number }),
    /** Delivered / attempted, 0..1; absent without attempts. */
    t.partial({ successRate: t.number }),
  ],
  "HealthCounts",
);

/**
 * A webhook's endpoint health as the API shows it: its state (with why and since when when disabled), attempts
 * and failures over the last hour and 24 hours, the last success and failure, the failing streak and, while it
 * fails, when the sustained-failure rule will disable it.
 */
export const WebhookHealth = t.intersection(
  [
    t.type({
      webhookId: t.string,
      state: t.keyof({ active: null, disabled: null }),
      lastHour: Counts,
      last24Hours: Counts,
      consecutiveFailures: t.number,
    }),
    t.partial({
      disabledReason: t.string,
      stateChangedAt: t.string,
      lastSuccess: LastAttempt,
      lastFailure: LastAttempt,
      failingSince: t.string,
      autoDisableAt: t.string,
      updatedAt: t.string,
      /** Per-subject webhooks: subjects whose head waits on its retry schedule, and those blocked for an operator. */
      heldSubjects: t.type({ waiting: t.number, blocked: t.number }),
    }),
  ],
  "WebhookHealth",
);
export type WebhookHealth = t.TypeOf<typeof WebhookHealth>;

const counts = (record: HealthRecord, window: "hour" | "day", now: Date): t.TypeOf<typeof Counts> => {
  const { successRate, ...rest } = countsWithin(record, window, now);
  return successRate === null ? rest : { ...rest, successRate };
};

export const webhookHealthView = (
  stored: StoredWebhook,
  record: HealthRecord | undefined,
  rule: { readonly autoDisableAfterMs: number; readonly now: Date },
  heldSubjects?: { readonly waiting: number; readonly blocked: number },
): WebhookHealth => {
  const { webhook } = stored;
  const health = record ?? emptyHealth;
  const until = webhook.disabled
    ? undefined
    : autoDisableAt(health, {
        afterMs: rule.autoDisableAfterMs,
        activeSince: webhook.stateChangedAt ?? stored.createdAt,
      });
  return {
    webhookId: webhook.id,
    state: webhook.disabled ? "disabled" : "active",
    ...(webhook.disabledReason === undefined ? {} : { disabledReason: webhook.disabledReason }),
    ...(webhook.stateChangedAt === undefined ? {} : { stateChangedAt: webhook.stateChangedAt }),
    lastHour: counts(health, "hour", rule.now),
    last24Hours: counts(health, "day", rule.now),
    consecutiveFailures: health.consecutiveFailures,
    ...(health.lastSuccess === undefined ? {} : { lastSuccess: health.lastSuccess }),
    ...(health.lastFailure === undefined ? {} : { lastFailure: health.lastFailure }),
    ...(health.failingSince === undefined ? {} : { failingSince: health.failingSince }),
    ...(until === undefined ? {} : { autoDisableAt: until.toISOString() }),
    ...(health.updatedAt === undefined ? {} : { updatedAt: health.updatedAt }),
    ...(heldSubjects === undefined ? {} : { heldSubjects }),
  };
};
