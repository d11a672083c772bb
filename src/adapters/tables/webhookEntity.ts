import * as E from "fp-ts/Either";
import { pipe } from "fp-ts/function";
import * as t from "io-ts";

import { isPublicEventName, type PublicEventName } from "../../domain/events";
import { Webhook, WebhookInput, type WebhookSecrets } from "../../domain/webhook";
import { describeOpenError, isSealed, type SecretCipher } from "./secretCipher";

/**
 * The Webhooks table's entity, one per webhook (partition "webhook", row key = id). Table Storage has no arrays
 * or maps, so subscriptions, attributes and headers are JSON strings; this module is the only place that knows.
 * The signing secrets and the headers' JSON (header values may be credentials) are stored sealed
 * (secretCipher.ts), each bound to its row and field.
 */
export const WEBHOOK_PARTITION = "webhook";

const fields = { ...WebhookInput.props, ...Webhook.types[1].props };

/** Webhook's fields as stored: scalars as they are, the rest as JSON text; the secrets beside them. `secret`,
    `previousSecret` and `headers` hold sealed values (or, in rows written before encryption, plaintext). */
export const WebhookEntity = t.intersection(
  [
    t.type({
      partitionKey: t.literal(WEBHOOK_PARTITION),
      rowKey: t.string,
      url: fields.url,
      subscriptions: t.string,
      attributes: t.string,
      headers: t.string,
      disabled: fields.disabled,
      secret: t.string,
      createdAt: t.string,
      updatedAt: t.string,
    }),
    t.partial({
      disabledReason: fields.disabledReason,
      stateChangedAt: fields.stateChangedAt,
      ordering: fields.ordering,
      orderingOnFailure: fields.orderingOnFailure,
      previousSecret: t.string,
      previousSecretValidUntil: t.string,
      etag: t.string,
    }),
  ],
  "WebhookEntity",
);
export type WebhookEntity = t.TypeOf<typeof WebhookEntity>;

export interface StoredWebhook {
  readonly webhook: Webhook;
  readonly secrets: WebhookSecrets;
  readonly etag: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Any names: a stored subscription to an event since retired is dropped on read, not an error. */
const JsonStringArray = t.array(t.string);

const parseJson = <A>(codec: t.Decoder<unknown, A>, text: string, field: string): E.Either<string, A> =>
  pipe(
    E.tryCatch(
      () => JSON.parse(text) as unknown,
      () => `${field} is not JSON`,
    ),
    E.chain((value) =>
      pipe(
        codec.decode(value),
        E.mapLeft(() => `${field} has the wrong shape`),
      ),
    ),
  );

type SealedField = "secret" | "previousSecret" | "headers";

/** What a sealed value is bound to: a value copied into another row or field does not open. */
const boundTo = (id: string, field: SealedField): string => `${id}/${field}`;

/**
 * The plaintext of a sealed field.
 * Failure policy: a value not in the sealed form is from a row written before encryption and reads as it is;
 * the row's next write (any update, rotation or disable) seals it. A sealed value that does not open is an
 * error naming the field and the key setting: never a fallback to the stored text.
 */
const unseal =
  (cipher: SecretCipher, id: string) =>
  (field: SealedField, stored: string): E.Either<string, string> =>
    isSealed(stored)
      ? pipe(
          cipher.open(stored, boundTo(id, field)),
          E.mapLeft((error) => `${field} of webhook ${id} ${describeOpenError(error)}`),
        )
      : E.right(stored);

const unsealOptional = (
  open: ReturnType<typeof unseal>,
  field: SealedField,
  stored: string | undefined,
): E.Either<string, string | undefined> => (stored === undefined ? E.right(undefined) : open(field, stored));

/** Entity -> domain. A malformed row is an error naming the field, never its content. */
export const fromEntity = (raw: unknown, cipher: SecretCipher): E.Either<string, StoredWebhook> =>
  pipe(
    WebhookEntity.decode(raw),
    E.mapLeft(() => "webhook entity has the wrong shape"),
    E.bindTo("entity"),
    E.let("open", ({ entity }) => unseal(cipher, entity.rowKey)),
    E.bind("subscriptions", ({ entity }) =>
      parseJson(JsonStringArray, entity.subscriptions, "subscriptions"),
    ),
    E.bind("attributes", ({ entity }) => parseJson(fields.attributes, entity.attributes, "attributes")),
    E.bind("headersText", ({ entity, open }) => open("headers", entity.headers)),
    E.bind("headers", ({ headersText }) => parseJson(fields.headers, headersText, "headers")),
    E.bind("secret", ({ entity, open }) => open("secret", entity.secret)),
    E.bind("previousSecret", ({ entity, open }) =>
      unsealOptional(open, "previousSecret", entity.previousSecret),
    ),
    E.map(({ entity, subscriptions, attributes, headers, secret, previousSecret }) => ({
      webhook: {
        id: entity.rowKey,
        url: entity.url,
        subscriptions: subscriptions.filter(isPublicEventName),
        attributes,
        headers,
        disabled: entity.disabled,
        ...(entity.disabledReason === undefined ? {} : { disabledReason: entity.disabledReason }),
        ...(entity.stateChangedAt === undefined ? {} : { stateChangedAt: entity.stateChangedAt }),
        ...(entity.ordering === undefined ? {} : { ordering: entity.ordering }),
        ...(entity.orderingOnFailure === undefined ? {} : { orderingOnFailure: entity.orderingOnFailure }),
      },
      secrets: {
        current: secret,
        ...(previousSecret === undefined ? {} : { previous: previousSecret }),
        ...(entity.previousSecretValidUntil === undefined
          ? {}
          : { previousValidUntil: entity.previousSecretValidUntil }),
      },
      etag: entity.etag ?? "",
      createdAt: entity.createdAt,
      updatedAt: entity.updatedAt,
    })),
  );

/** Domain -> entity (without the etag, which the table assigns), secrets and headers sealed with the current key. */
export const toEntity = (
  webhook: Webhook,
  secrets: WebhookSecrets,
  times: { createdAt: string; updatedAt: string },
  cipher: SecretCipher,
): Omit<WebhookEntity, "etag"> => {
  const seal = (field: SealedField, plaintext: string): string =>
    cipher.seal(plaintext, boundTo(webhook.id, field));
  return {
    partitionKey: WEBHOOK_PARTITION,
    rowKey: webhook.id,
    url: webhook.url,
    subscriptions: JSON.stringify(webhook.subscriptions satisfies ReadonlyArray<PublicEventName>),
    attributes: JSON.stringify(webhook.attributes),
    headers: seal("headers", JSON.stringify(webhook.headers)),
    disabled: webhook.disabled,
    ...(webhook.disabledReason === undefined ? {} : { disabledReason: webhook.disabledReason }),
    ...(webhook.stateChangedAt === undefined ? {} : { stateChangedAt: webhook.stateChangedAt }),
    ...(webhook.ordering === undefined ? {} : { ordering: webhook.ordering }),
    ...(webhook.orderingOnFailure === undefined ? {} : { orderingOnFailure: webhook.orderingOnFailure }),
    secret: seal("secret", secrets.current),
    ...(secrets.previous === undefined ? {} : { previousSecret: seal("previousSecret", secrets.previous) }),
    ...(secrets.previousValidUntil === undefined
      ? {}
      : { previousSecretValidUntil: secrets.previousValidUntil }),
    createdAt: times.createdAt,
    updatedAt: times.updatedAt,
  };
};
