import { createHash } from "node:crypto";

import { type IncomingEvent, type PublicEvent } from "./events";
import { type Sequence } from "./ordering";
import { remap } from "./remap";
import { type OutgoingMessage } from "./routing";
import { type Webhook } from "./webhook";
import { indexWebhooks, routeIndexed, type WebhookIndex } from "./webhookIndex";

/** One message to one webhook. Its id is the `webhook-id` header: the same on every attempt. */
export interface Delivery {
  readonly id: string;
  readonly eventId: string;
  readonly webhookId: string;
  /** The subject deliveries are ordered by (a citizen's fiscal code), when the event has one. */
  readonly subject?: string;
  /** Its place in the (webhook, subject) stream, for a webhook with `ordering: "per-subject"`. */
  readonly sequence?: Sequence;
  /** The replay from the Event Hub that planned it (the delivery log marks its attempts with it). */
  readonly replayId?: string;
  readonly message: OutgoingMessage;
}

/** Deterministic: a redelivered event plans the same ids, so receivers can dedupe on webhook-id. */
export const deliveryId = (eventId: string, webhookId: string, index: number): string =>
  "msg_" +
  createHash("sha256").update(`${eventId}\u0000${webhookId}\u0000${index}`).digest("base64url").slice(0, 27);

const subjectOf = (event: PublicEvent): string | undefined =>
  event.name === "service:subscribed" ? event.payload.fiscalCode : undefined;

/**
 * Remap, route and number the deliveries of one incoming event. Order is stable (public events in remap order,
 * webhooks in the given order), so per (webhook, subject) order is kept inside a plan.
 */
export const planDeliveries = (
  eventId: string,
  event: IncomingEvent,
  webhooks: ReadonlyArray<Webhook> | WebhookIndex,
): ReadonlyArray<Delivery> => {
  // Build the index once per call when given a plain list; callers planning many events pass one index.
  const index = "candidates" in webhooks ? webhooks : indexWebhooks(webhooks);
  const perWebhook = new Map<string, number>();
  const deliveries: Delivery[] = [];
  for (const publicEvent of remap(event, index)) {
    const subject = subjectOf(publicEvent);
    for (const { webhook, message } of routeIndexed(publicEvent, index)) {
      const index = perWebhook.get(webhook.id) ?? 0;
      perWebhook.set(webhook.id, index + 1);
      deliveries.push({
        id: deliveryId(eventId, webhook.id, index),
        eventId,
        webhookId: webhook.id,
        ...(subject === undefined ? {} : { subject }),
        message,
      });
    }
  }
  return deliveries;
};
