import * as E from "fp-ts/Either";

import { Webhook, WebhookSecrets } from "../../domain/webhook";
import { testEncryptionKeys, testSecretCipher } from "../../test-support/secrets";
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
  stateChangedAt: "2026-01-01T00:30:00.000Z",
  ordering: "per-subject",
  orderingOnFailure: "block",
};
const secrets: WebhookSecrets = {
  current: "whsec_current",
  previous: "whsec_previous",
  previousValidUntil: "2026-01-02T00:00:00.000Z",
};
const times = { createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T01:00:00.000Z" };

const cipher = testSecretCipher();

const fieldsOf = (codec: typeof Webhook | typeof WebhookSecrets): ReadonlyArray<string> =>
  codec.types.flatMap((part) => Object.keys(part.props)).sort();

describe("webhook entity", () => {
  it("the round-trip fixtures set every field of the Webhook and WebhookSecrets codecs", () => {
    expect(Object.keys(full).sort()).toEqual(fieldsOf(Webhook));
    expect(Object.keys(secrets).sort()).toEqual(fieldsOf(WebhookSecrets));
  });

  it("keeps every field of a webhook and its secrets through the table entity", () => {
    const entity = { ...toEntity(full, secrets, times, cipher), etag: 'W/"1"' };
    expect(Webhook.is(full)).toBe(true);
    expect(fromEntity(JSON.parse(JSON.stringify(entity)), cipher)).toEqual(
      E.right({ webhook: full, secrets, etag: 'W/"1"', ...times }),
    );
  });

  it("drops a stored subscription to an event no longer public instead of failing the row", () => {
    const entity = {
      ...toEntity(full, secrets, times, cipher),
      subscriptions: JSON.stringify(["ping", "retired"]),
    };
    const stored = fromEntity(entity, cipher);
    expect(E.isRight(stored) && stored.right.webhook.subscriptions).toEqual(["ping"]);
  });

  it("stores the secrets and the headers sealed: no secret, header name or value in the entity", () => {
    const text = JSON.stringify(toEntity(full, secrets, times, cipher));
    for (const plaintext of ["whsec_current", "whsec_previous", "authorization", "Bearer token-value"])
      expect(text).not.toContain(plaintext);
    const entity = toEntity(full, secrets, times, cipher);
    for (const sealed of [entity.secret, entity.previousSecret, entity.headers])
      expect(sealed).toMatch(/^enc:v1:test:/);
  });

  it("reads a row written before encryption (plaintext secrets and headers) as it is", () => {
    const legacy = {
      ...toEntity(full, secrets, times, cipher),
      secret: "whsec_current",
      previousSecret: "whsec_previous",
      headers: JSON.stringify(full.headers),
    };
    expect(fromEntity(legacy, cipher)).toEqual(E.right({ webhook: full, secrets, etag: "", ...times }));
  });

  it("refuses a sealed value moved from another webhook's row, naming the field", () => {
    const other = toEntity({ ...full, id: "wh2" }, secrets, times, cipher);
    const entity = { ...toEntity(full, secrets, times, cipher), secret: other.secret };
    const stored = fromEntity(entity, cipher);
    expect(E.isLeft(stored) && stored.left).toMatch(/^secret of webhook wh1 does not verify/);
  });

  it("refuses a row sealed under a key the setting does not list, naming the setting", () => {
    const entity = toEntity(full, secrets, times, testSecretCipher(testEncryptionKeys("retired")));
    const stored = fromEntity(entity, cipher);
    expect(E.isLeft(stored) && stored.left).toBe(
      'headers of webhook wh1 was encrypted with key "retired", which SECRETS_ENCRYPTION_KEYS does not list',
    );
  });
});
