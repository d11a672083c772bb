import { type StoredWebhook } from "../../adapters/tables/webhookEntity";

/** How the API shows a webhook: never its secrets; header values masked unless `reveal` asks for them. */
export interface WebhookView {
  readonly id: string;
  readonly url: string;
  readonly subscriptions: ReadonlyArray<string>;
  readonly attributes: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly disabled: boolean;
  readonly disabledReason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** While a rotated-out secret still signs: until when. */
  readonly previousSecretValidUntil?: string;
}

export const MASK = "***";

export const webhookView = (stored: StoredWebhook, revealHeaders: boolean): WebhookView => {
  const { webhook, secrets } = stored;
  return {
    id: webhook.id,
    url: webhook.url,
    subscriptions: webhook.subscriptions,
    attributes: webhook.attributes,
    headers: revealHeaders
      ? webhook.headers
      : Object.fromEntries(Object.keys(webhook.headers).map((name) => [name, MASK])),
    disabled: webhook.disabled,
    ...(webhook.disabledReason === undefined ? {} : { disabledReason: webhook.disabledReason }),
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
    ...(secrets.previousValidUntil === undefined
      ? {}
      : { previousSecretValidUntil: secrets.previousValidUntil }),
  };
};
