import * as t from "io-ts";

import { PublicEventName } from "./events";
import { Ordering, OrderingOnFailure } from "./ordering";

const StringMap = t.record(t.string, t.string);

/**
 * What an operator sets on a webhook: the validated body of create and replace (see validateWebhookInput).
 * The one definition of these fields: Webhook, the table entity, the API view and the dev CLI build on it.
 */
export const WebhookInput = t.type(
  {
    url: t.string,
    subscriptions: t.readonlyArray(PublicEventName),
    attributes: StringMap,
    headers: StringMap,
    disabled: t.boolean,
  },
  "WebhookInput",
);
export type WebhookInput = t.TypeOf<typeof WebhookInput>;

/** Optional settings of a webhook; absent means the default ("none", "continue"). */
export const WebhookOptions = t.partial(
  { ordering: Ordering, orderingOnFailure: OrderingOnFailure },
  "WebhookOptions",
);
export type WebhookOptions = t.TypeOf<typeof WebhookOptions>;

/** What create and replace store: the operator's fields and options (validation fills in the defaults). */
export const WebhookSettings = t.intersection(
  [WebhookInput, t.type({ ordering: Ordering, orderingOnFailure: OrderingOnFailure })],
  "WebhookSettings",
);
export type WebhookSettings = t.TypeOf<typeof WebhookSettings>;

/** A webhook as the dispatch path sees it. Secrets live beside it (see WebhookSecrets), never inside. */
export const Webhook = t.intersection(
  [
    t.type({ id: t.string, ...WebhookInput.props }),
    t.partial({
      /** Why it is disabled: `sustained-failure`, the receiver's 410, or `operator`. */
      disabledReason: t.string,
      /** When it was last disabled or enabled (absent: not since it was created). */
      stateChangedAt: t.string,
      ...WebhookOptions.props,
    }),
  ],
  "Webhook",
);
export type Webhook = t.TypeOf<typeof Webhook>;

/** The signing secrets of a webhook: the current one and, during a rotation's grace period, the previous. */
export const WebhookSecrets = t.intersection(
  [t.type({ current: t.string }), t.partial({ previous: t.string, previousValidUntil: t.string })],
  "WebhookSecrets",
);
export type WebhookSecrets = t.TypeOf<typeof WebhookSecrets>;

/** Secrets to sign with at `now`: the current one first, then the previous while its grace period lasts. */
export const signingSecrets = (secrets: WebhookSecrets, now: Date): ReadonlyArray<string> =>
  secrets.previous !== undefined &&
  secrets.previousValidUntil !== undefined &&
  Date.parse(secrets.previousValidUntil) > now.getTime()
    ? [secrets.current, secrets.previous]
    : [secrets.current];
