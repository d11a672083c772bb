import * as E from "fp-ts/Either";
import { pipe } from "fp-ts/function";
import * as t from "io-ts";

import { isPublicEventName, type PublicEventName } from "../../domain/events";
import { Webhook, WebhookInput, type WebhookSecrets } from "../../domain/webhook";

/**
 * The Webhooks table's entity, one per webhook (partition "webhook", row key = id). Table Storage has no arrays
 * or maps, so subscriptions, attributes and headers are JSON strings; this module is the only place that knows.
 */
export const WEBHOOK_PARTITION = "webhook";

const fields = { ...WebhookInput.props, ...Webhook.types[1].props };

/** Webhook's fields as stored: scalars as they are, the rest as JSON text; the secrets beside them. */
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

/** Entity -> domain. A malformed row is an error naming the field, never its content. */
export const fromEntity = (raw: unknown): E.Either<string, StoredWebhook> =>
  pipe(
    WebhookEntity.decode(raw),
    E.mapLeft(() => "webhook entity has the wrong shape"),
    E.bindTo("entity"),
    E.bind("subscriptions", ({ entity }) =>
      parseJson(JsonStringArray, entity.subscriptions, "subscriptions"),
    ),
    E.bind("attributes", ({ entity }) => parseJson(fields.attributes, entity.attributes, "attributes")),
    E.bind("headers", ({ entity }) => parseJson(fields.headers, entity.headers, "headers")),
    E.map(({ entity, subscriptions, attributes, headers }) => ({
      webhook: {
        id: entity.rowKey,
        url: entity.url,
        subscriptions: subscriptions.filter(isPublicEventName),
        attributes,
        headers,
        disabled: entity.disabled,
        ...(entity.disabledReason === undefined ? {} : { disabledReason: entity.disabledReason }),
      },
      secrets: {
        current: entity.secret,
        ...(entity.previousSecret === undefined ? {} : { previous: entity.previousSecret }),
        ...(entity.previousSecretValidUntil === undefined
          ? {}
          : { previousValidUntil: entity.previousSecretValidUntil }),
      },
      etag: entity.etag ?? "",
      createdAt: entity.createdAt,
      updatedAt: entity.updatedAt,
    })),
  );

/** Domain -> entity (without the etag, which the table assigns). */
export const toEntity = (
  webhook: Webhook,
  secrets: WebhookSecrets,
  times: { createdAt: string; updatedAt: string },
): Omit<WebhookEntity, "etag"> => ({
  partitionKey: WEBHOOK_PARTITION,
  rowKey: webhook.id,
  url: webhook.url,
  subscriptions: JSON.stringify(webhook.subscriptions satisfies ReadonlyArray<PublicEventName>),
  attributes: JSON.stringify(webhook.attributes),
  headers: JSON.stringify(webhook.headers),
  disabled: webhook.disabled,
  ...(webhook.disabledReason === undefined ? {} : { disabledReason: webhook.disabledReason }),
  secret: secrets.current,
  ...(secrets.previous === undefined ? {} : { previousSecret: secrets.previous }),
  ...(secrets.previousValidUntil === undefined
    ? {}
    : { previousSecretValidUntil: secrets.previousValidUntil }),
  createdAt: times.createdAt,
  updatedAt: times.updatedAt,
});
