import {
  type IncomingEvent,
  type NonEmptyString,
  type PingEvent,
  type PublicEvent,
  type ServiceSubscribedEvent,
} from "./events";
import { type Webhook } from "./webhook";
import { indexWebhooks, type WebhookIndex } from "./webhookIndex";

/**
 * Non-public events become public ones; public events pass through. Values are de-duplicated so two
 * webhooks sharing a name (or serviceId) do not make the same public event twice, which routing would then
 * deliver twice to each of them.
 */
export const remap = (
  event: IncomingEvent,
  webhooks: ReadonlyArray<Webhook> | WebhookIndex,
): ReadonlyArray<PublicEvent> => {
  const attributeValues = (source: typeof webhooks, key: string): ReadonlyArray<NonEmptyString> =>
    ("distinctValues" in source ? source : indexWebhooks(source)).distinctValues(key);
  switch (event.name) {
    case "ping":
    case "service:subscribed":
      return [event];
    case "ping:all":
      return attributeValues(webhooks, "name").map((name): PingEvent => ({
        name: "ping",
        payload: { name },
      }));
    case "profile:completed":
    case "profile:service-preferences-changed": {
      if (event.payload.servicePreferencesMode !== "AUTO") return [];
      const fiscalCode = event.payload.fiscalCode;
      return attributeValues(webhooks, "serviceId").map((serviceId): ServiceSubscribedEvent => ({
        name: "service:subscribed",
        payload: { serviceId, fiscalCode },
      }));
    }
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};
