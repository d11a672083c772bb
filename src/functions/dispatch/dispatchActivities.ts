import { type WebhookSender } from "../../adapters/delivery/webhookSender";
import { type CachedWebhookStore } from "../../adapters/tables/cachedWebhookStore";
import { type DeadLetter, type DeadLetterStore } from "../../adapters/tables/deadLetters";
import { type DeliveryAttempt, type DeliveryLog } from "../../adapters/tables/deliveryLog";
import { type StoredWebhook } from "../../adapters/tables/webhookEntity";
import { type DeliveryOutcome } from "../../domain/classification";
import { planDeliveries } from "../../domain/deliveryPlan";
import {
  type DeadLetterRequest,
  type DeliveryReport,
  type PendingDelivery,
  type PlanInput,
  type PlanResult,
} from "../../domain/dispatch";
import { signingSecrets } from "../../domain/webhook";
import { indexWebhooks, type WebhookIndex } from "../../domain/webhookIndex";
import { type HealthRecorder } from "./healthRecorder";

interface Clock {
  now(): Date;
}
type Log = (message: string) => void;

/** The cache hands out the same list until it reloads: build its by-id map once per list, not per chunk. */
const byIdMemo = new WeakMap<ReadonlyArray<StoredWebhook>, ReadonlyMap<string, StoredWebhook>>();
const webhooksById = async (
  webhooks: Pick<CachedWebhookStore, "listCached">,
): Promise<ReadonlyMap<string, StoredWebhook>> => {
  const list = await webhooks.listCached();
  let map = byIdMemo.get(list);
  if (map === undefined) {
    map = new Map(list.map((s) => [s.webhook.id, s]));
    byIdMemo.set(list, map);
  }
  return map;
};

/** One routing index per cached list (the cache hands out the same list until it reloads). */
const indexMemo = new WeakMap<ReadonlyArray<StoredWebhook>, WebhookIndex>();

/**
 * Plan: enabled webhooks from the cache; remap; route; deterministic delivery ids. Fast path: a plan of at most
 * `deliverUpTo` deliveries (most batches of single-target events) is delivered here as the first round, which
 * saves the orchestration one activity round trip (a history commit, an inbox write and a replay) before the
 * receivers get their POSTs. A crash re-runs the whole activity: the plan is deterministic and the deliveries
 * carry the same ids, so it is the same at-least-once as a re-run deliver activity.
 */
export const makePlanActivity =
  (deps: {
    webhooks: Pick<CachedWebhookStore, "listCached">;
    deliver?: (chunk: ReadonlyArray<PendingDelivery>) => Promise<DeliveryReport[]>;
  }) =>
  async (input: PlanInput): Promise<PlanResult> => {
    const list = await deps.webhooks.listCached();
    let index = indexMemo.get(list);
    if (index === undefined) {
      index = indexWebhooks(list.map((s) => s.webhook));
      indexMemo.set(list, index);
    }
    const deliveries = input.events.flatMap(({ eventId, event }) => planDeliveries(eventId, event, index));
    const small = input.deliverUpTo !== undefined && deliveries.length <= input.deliverUpTo;
    if (!small || deps.deliver === undefined || deliveries.length === 0) return { deliveries };
    const reports = await deps.deliver(deliveries.map((delivery) => ({ delivery, attempts: 0 })));
    return { deliveries, reports };
  };

export interface DeliverDeps {
  readonly webhooks: Pick<CachedWebhookStore, "listCached" | "disable">;
  readonly sender: WebhookSender;
  readonly log: DeliveryLog;
  readonly clock: Clock;
  readonly warn?: Log;
  /** Endpoint health and the sustained-failure rule (healthRecorder.ts); it never rejects. */
  readonly health?: HealthRecorder;
}

/**
 * Deliver one chunk: every delivery of it concurrently, each attempt logged. Never throws for a delivery's
 * failure; each delivery gets its own report.
 */
export const makeDeliverActivity =
  (deps: DeliverDeps) =>
  async (chunk: ReadonlyArray<PendingDelivery>): Promise<DeliveryReport[]> => {
    const webhooks = await webhooksById(deps.webhooks);
    const attempts: DeliveryAttempt[] = [];
    const reports = await Promise.all(
      chunk.map(async ({ delivery, attempts: made }): Promise<DeliveryReport> => {
        const at = deps.clock.now().toISOString();
        const stored = webhooks.get(delivery.webhookId);
        // Failure policy: a webhook deleted or disabled after planning gets nothing; the delivery is dropped and
        // counted, not dead-lettered (there is no one to replay it to).
        if (stored === undefined) return { deliveryId: delivery.id, at, skipped: "webhook deleted" };
        if (stored.webhook.disabled) return { deliveryId: delivery.id, at, skipped: "webhook disabled" };
        const result = await deps.sender.send({
          deliveryId: delivery.id,
          url: stored.webhook.url,
          body: JSON.stringify(delivery.message),
          headers: stored.webhook.headers,
          secrets: signingSecrets(stored.secrets, deps.clock.now()),
        });
        attempts.push({
          webhookId: delivery.webhookId,
          deliveryId: delivery.id,
          eventName: delivery.message.name,
          attempt: made + 1,
          outcome: result.outcome.kind,
          ...(result.outcome.status === undefined ? {} : { status: result.outcome.status }),
          ...(errorText(result.outcome) === undefined ? {} : { error: errorText(result.outcome) }),
          ...(result.answer === undefined ? {} : { answer: result.answer }),
          latencyMs: Math.round(result.latencyMs),
          at,
        });
        if (result.outcome.kind === "permanent" && result.outcome.gone) {
          // Failure policy: 410 Gone means the receiver is retired: disable the webhook with the reason recorded.
          await deps.webhooks.disable(delivery.webhookId, `receiver answered 410 Gone at ${at}`);
        }
        return { deliveryId: delivery.id, at, outcome: result.outcome };
      }),
    );
    try {
      await deps.log.record(attempts);
    } catch (error) {
      // Failure policy: the log is for operators; failing to write it must not turn a delivered message into a
      // retried one (that would deliver it again).
      deps.warn?.(`delivery log write failed for ${attempts.length} attempts: ${errorMessage(error)}`);
    }
    await deps.health?.record(attempts);
    return reports;
  };

/** Dead letters: the full request (url, body, the webhook's own headers; never signatures) for replay. */
export const makeDeadLetterActivity =
  (deps: { webhooks: Pick<CachedWebhookStore, "listCached">; deadLetters: DeadLetterStore; clock: Clock }) =>
  async (requests: ReadonlyArray<DeadLetterRequest>): Promise<number> => {
    const webhooks = await webhooksById(deps.webhooks);
    const now = deps.clock.now().toISOString();
    const letters = requests.map(({ pending, reason }): DeadLetter => {
      const webhook = webhooks.get(pending.delivery.webhookId)?.webhook;
      const last = pending.last;
      return {
        deliveryId: pending.delivery.id,
        webhookId: pending.delivery.webhookId,
        eventId: pending.delivery.eventId,
        ...(pending.delivery.subject === undefined ? {} : { subject: pending.delivery.subject }),
        url: webhook?.url ?? "",
        body: JSON.stringify(pending.delivery.message),
        headers: webhook?.headers ?? {},
        attempts: pending.attempts,
        ...(last?.status === undefined ? {} : { lastStatus: last.status }),
        ...(last === undefined || errorText(last) === undefined ? {} : { lastError: errorText(last) }),
        reason,
        firstAttemptAt: pending.firstAttemptAt ?? now,
        deadLetteredAt: now,
      };
    });
    await deps.deadLetters.put(letters);
    return letters.length;
  };

/** An outcome's error kind for the log and dead letters, with the blocked target's reason when there is one. */
const errorText = (outcome: DeliveryOutcome): string | undefined => {
  if (!("error" in outcome) || outcome.error === undefined) return undefined;
  return "detail" in outcome && outcome.detail !== undefined
    ? `${outcome.error}: ${outcome.detail}`
    : outcome.error;
};

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));
