import {
  type IncomingEvent,
  type NonEmptyString,
  type PingEvent,
  type PublicEvent,
  type ServiceSubscribedEvent,
} from "./events";
import { type Webhook } from "./webhook";

/** Distinct values of one attribute over the enabled webhooks that have it, in webhook order. */
const attributeValues = (webhooks: ReadonlyArray<Webhook>, key: string): ReadonlyArray<NonEmptyString> => [
  ...new Set(
    webhooks
      .filter((w) => !w.disabled)
      .map((w) => w.attributes[key])
      .filter((value): value is NonEmptyString => value !== undefined && value.trim() !== ""),
  ),
];

/**
 * Non-public events become public ones; public events pass through. Values are de-duplicated so two
 * webhooks sharing a name (or serviceId) do not make the same public event twice, which routing would then
 * deliver twice to each of them.
 */
export const remap = (event: IncomingEvent, webhooks: ReadonlyArray<Webhook>): ReadonlyArray<PublicEvent> => {
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
