import { pipe } from "fp-ts/function";
import * as RA from "fp-ts/ReadonlyArray";

import { type PublicEvent, type PublicEventName, REQUIRED_ATTRIBUTES } from "./events";
import { type Webhook } from "./webhook";

/** The body a webhook receives: `{name, payload}`, payload without the keys that are webhook attributes. */
export interface OutgoingMessage {
  readonly name: PublicEventName;
  readonly payload: Readonly<Record<string, string>>;
}

export interface Routed {
  readonly webhook: Webhook;
  readonly message: OutgoingMessage;
}

const payloadOf = (event: PublicEvent): Readonly<Record<string, string>> => event.payload;

const isEnabled = (webhook: Webhook): boolean => !webhook.disabled;

const isSubscribedTo =
  (name: PublicEventName) =>
  (webhook: Webhook): boolean =>
    webhook.subscriptions.includes(name);

const hasRequiredAttributes =
  (name: PublicEventName) =>
  (webhook: Webhook): boolean =>
    REQUIRED_ATTRIBUTES[name].every((key) => Object.prototype.hasOwnProperty.call(webhook.attributes, key));

/** Every payload key that is also an attribute key must carry the attribute's value. */
const matchesAttributeValues =
  (payload: Readonly<Record<string, string>>) =>
  (webhook: Webhook): boolean =>
    Object.entries(webhook.attributes).every(
      ([key, value]) => !Object.prototype.hasOwnProperty.call(payload, key) || payload[key] === value,
    );

const withoutAttributeKeys = (
  payload: Readonly<Record<string, string>>,
  attributes: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> =>
  Object.fromEntries(
    Object.entries(payload).filter(([key]) => !Object.prototype.hasOwnProperty.call(attributes, key)),
  );

/** The webhooks a public event goes to, each with the message it receives. */
export const route = (event: PublicEvent, webhooks: ReadonlyArray<Webhook>): ReadonlyArray<Routed> => {
  const payload = payloadOf(event);
  return pipe(
    webhooks,
    // only enabled webhooks
    RA.filter(isEnabled),
    // subscribed to this event
    RA.filter(isSubscribedTo(event.name)),
    // carrying the attributes the event requires
    RA.filter(hasRequiredAttributes(event.name)),
    // whose attribute values match the payload's values for the same keys
    RA.filter(matchesAttributeValues(payload)),
    // shaped as the webhook receives it
    RA.map((webhook) => ({
      webhook,
      message: { name: event.name, payload: withoutAttributeKeys(payload, webhook.attributes) },
    })),
  );
};
