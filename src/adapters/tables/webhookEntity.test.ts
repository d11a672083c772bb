import * as E from "fp-ts/Either";

import { Webhook, WebhookSecrets } from "../../domain/webhook";
import { fromEntity, toEntity } from "./webhookEntity";

/** A webhook with every field of the Webhook codec set, optional ones included. */
const full: Webhook = {
  id: "wh1",
  url: "https://receiver.example/hook",
  subscriptions: ["ping", "service:subscribed"],
  attributes: { name: "wh1", serviceId: "aServiceId12345" },
  headers: { authorization: "Bearer token-value" },
  disabled: true,
  disabledReason: "receiver answered 410 Gone",
};
const secrets: WebhookSecrets = {
  current: "whsec_current",
  previous: "whsec_previous",
  previousValidUntil: "2026-01-02T00:00:00.000Z",
};
const times = { createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T01:00:00.000Z" };

const fieldsOf = (codec: typeof Webhook | typeof WebhookSecrets): ReadonlyArray<string> =>
  codec.types.flatMap((part) => Object.keys(part.props)).sort();

describe("webhook entity", () => {
  it("the round-trip fixtures set every field of the Webhook and WebhookSecrets codecs", () => {
    expect(Object.keys(full).sort()).toEqual(fieldsOf(Webhook));
    expect(Object.keys(secrets).sort()).toEqual(fieldsOf(WebhookSecrets));
  });

  it("keeps every field of a webhook and its secrets through the table entity", () => {
    const entity = { ...toEntity(full, secrets, times), etag: 'W/"1"' };
    expect(Webhook.is(full)).toBe(true);
    expect(fromEntity(JSON.parse(JSON.stringify(entity)))).toEqual(
      E.right({ webhook: full, secrets, etag: 'W/"1"', ...times }),
    );
  });

  it("drops a stored subscription to an event no longer public instead of failing the row", () => {
    const entity = { ...toEntity(full, secrets, times), subscriptions: JSON.stringify(["ping", "retired"]) };
    const stored = fromEntity(entity);
    expect(E.isRight(stored) && stored.right.webhook.subscriptions).toEqual(["ping"]);
  });
});
