import * as t from "io-ts";

import { type PublicEventName } from "./events";

/** A webhook as the dispatch path sees it. Secrets live beside it (see WebhookSecrets), never inside. */
export interface Webhook {
  readonly id: string;
  readonly url: string;
  readonly subscriptions: ReadonlyArray<PublicEventName>;
  readonly attributes: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly disabled: boolean;
  readonly disabledReason?: string;
}

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
