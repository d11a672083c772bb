import { type CachedWebhookStore } from "../../adapters/tables/cachedWebhookStore";
import { type HealthAttempt, type WebhookHealthStore } from "../../adapters/tables/webhookHealth";
import { isSustainedFailure, SUSTAINED_FAILURE } from "../../domain/health";

export interface HealthRecorder {
  /** Updates endpoint health with a chunk's attempts and applies the sustained-failure rule. Never rejects. */
  readonly record: (attempts: ReadonlyArray<HealthAttempt>) => Promise<void>;
}

/**
 * Endpoint health on the delivery path: one call per deliver activity chunk, after its attempts are logged. A
 * webhook whose every attempt has failed for `autoDisableAfterMs` (0: never) is disabled with the reason
 * `sustained-failure`; an operator re-enables it with an update, which starts a new window.
 */
export const makeHealthRecorder = (deps: {
  readonly health: Pick<WebhookHealthStore, "record">;
  readonly webhooks: Pick<CachedWebhookStore, "listCached" | "disable">;
  readonly autoDisableAfterMs: number;
  readonly warn?: (message: string) => void;
}): HealthRecorder => ({
  async record(attempts) {
    try {
      const records = await deps.health.record(attempts);
      if (deps.autoDisableAfterMs <= 0 || records.size === 0) return;
      const webhooks = new Map((await deps.webhooks.listCached()).map((s) => [s.webhook.id, s]));
      for (const [webhookId, record] of records) {
        const stored = webhooks.get(webhookId);
        if (stored === undefined || stored.webhook.disabled) continue;
        const activeSince = stored.webhook.stateChangedAt ?? stored.createdAt;
        if (!isSustainedFailure(record, { afterMs: deps.autoDisableAfterMs, activeSince })) continue;
        await deps.webhooks.disable(webhookId, SUSTAINED_FAILURE);
        deps.warn?.(
          `webhook ${webhookId} disabled: ${SUSTAINED_FAILURE} (every attempt failed since ${record.failingSince ?? "?"})`,
        );
      }
    } catch (error) {
      // Failure policy: health is for operators. A failed update is logged and dropped (those attempts are not
      // counted; the next chunk's update goes on from the stored record); it never fails the activity, which
      // would send delivered messages again. A missed auto-disable happens on the webhook's next failed chunk.
      deps.warn?.(
        `endpoint health update failed for ${attempts.length} attempts: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  },
});
