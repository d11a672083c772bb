import * as t from "io-ts";

import { type StoredWebhook } from "../../adapters/tables/webhookEntity";
import { Ordering, OrderingOnFailure } from "../../domain/ordering";
import { Webhook } from "../../domain/webhook";
import { WebhookHealth } from "./healthView";

const [WebhookRequired, WebhookOptional] = Webhook.types;

/**
 * How the API shows a webhook: the Webhook codec's fields (header values masked unless `reveal` asks for them)
 * and when it was created and changed; never its secrets, only until when a rotated-out one still signs.
 */
export const WebhookView = t.intersection(
  [
    t.type({
      ...WebhookRequired.props,
      ordering: Ordering,
      orderingOnFailure: OrderingOnFailure,
      createdAt: t.string,
      updatedAt: t.string,
    }),
    t.partial({
      disabledReason: WebhookOptional.props.disabledReason,
      stateChangedAt: WebhookOptional.props.stateChangedAt,
      previousSecretValidUntil: t.string,
    }),
  ],
  "WebhookView",
);
export type WebhookView = t.TypeOf<typeof WebhookView>;

/** A list item: the view, and with `?include=health` its health summary. */
export const WebhookListItem = t.intersection(
  [WebhookView, t.partial({ health: WebhookHealth })],
  "WebhookListItem",
);
export const WebhookList = t.type({ items: t.array(WebhookListItem) }, "WebhookList");
export type WebhookList = t.TypeOf<typeof WebhookList>;

/** The answer to create: the view and the signing secret, the only time it is shown. */
export const WebhookCreated = t.intersection([WebhookView, t.type({ secret: t.string })], "WebhookCreated");
export type WebhookCreated = t.TypeOf<typeof WebhookCreated>;

/** The answer to rotate-secret. */
export const SecretRotated = t.type(
  { secret: t.string, previousSecretValidUntil: t.string },
  "SecretRotated",
);
export type SecretRotated = t.TypeOf<typeof SecretRotated>;

export const MASK = "***";

export const webhookView = (stored: StoredWebhook, revealHeaders: boolean): WebhookView => {
  const { webhook, secrets } = stored;
  return {
    ...webhook,
    // Shown on read even for webhooks stored before ordering existed.
    ordering: webhook.ordering ?? "none",
    orderingOnFailure: webhook.orderingOnFailure ?? "continue",
    headers: revealHeaders
      ? webhook.headers
      : Object.fromEntries(Object.keys(webhook.headers).map((name) => [name, MASK])),
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
    ...(secrets.previousValidUntil === undefined
      ? {}
      : { previousSecretValidUntil: secrets.previousValidUntil }),
  };
};
