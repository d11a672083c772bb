import { odata, type TableClient } from "@azure/data-tables";
import * as E from "fp-ts/Either";

import {
  type Webhook,
  type WebhookInput,
  type WebhookOptions,
  type WebhookSecrets,
} from "../../domain/webhook";
import { type SecretCipher } from "./secretCipher";
import { statusOf, tableInitializer } from "./tableErrors";
import { fromEntity, type StoredWebhook, toEntity, WEBHOOK_PARTITION } from "./webhookEntity";

export type { StoredWebhook } from "./webhookEntity";

export type ReplaceResult =
  | { readonly kind: "replaced"; readonly stored: StoredWebhook }
  | { readonly kind: "not-found" }
  | { readonly kind: "precondition-failed" };

export interface WebhookStore {
  readonly create: (
    id: string,
    input: WebhookInput & WebhookOptions,
    secret: string,
  ) => Promise<StoredWebhook>;
  readonly get: (id: string) => Promise<StoredWebhook | undefined>;
  readonly list: () => Promise<ReadonlyArray<StoredWebhook>>;
  /** Full replace of the operator-set fields; secrets and createdAt are kept. `ifMatch` guards concurrency. */
  readonly replace: (
    id: string,
    input: WebhookInput & WebhookOptions,
    ifMatch?: string,
  ) => Promise<ReplaceResult>;
  readonly remove: (id: string) => Promise<boolean>;
  /** The new secret signs from now on; the old one also signs until `previousValidUntil`. */
  readonly rotateSecret: (
    id: string,
    secret: string,
    previousValidUntil: Date,
  ) => Promise<StoredWebhook | undefined>;
  /** Marks a webhook disabled with a reason (e.g. its receiver answered 410 Gone). */
  readonly disable: (id: string, reason: string) => Promise<StoredWebhook | undefined>;
}

interface Clock {
  now(): Date;
}

/**
 * Webhooks in Azure Table Storage, one entity each, optimistic concurrency with the table's ETags. Secrets and
 * header values are sealed with `cipher` on every write, so a row read in plaintext or under an old key is
 * stored under the current key the next time it is written.
 */
export const makeTableWebhookStore = (
  client: TableClient,
  clock: Clock,
  cipher: SecretCipher,
): WebhookStore => {
  const ready = tableInitializer(client);
  const decodeOrThrow = (entity: unknown): StoredWebhook => {
    const decoded = fromEntity(entity, cipher);
    if (E.isLeft(decoded)) throw new Error(`Webhooks table: ${decoded.left}`);
    return decoded.right;
  };

  const get = async (id: string): Promise<StoredWebhook | undefined> => {
    await ready();
    try {
      return decodeOrThrow(await client.getEntity(WEBHOOK_PARTITION, id));
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  };

  /** Read-modify-write guarded by the ETag that was read; retried a few times on a concurrent change. */
  const update = async (
    id: string,
    change: (current: StoredWebhook) => { webhook: Webhook; secrets: WebhookSecrets },
  ): Promise<StoredWebhook | undefined> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await get(id);
      if (current === undefined) return undefined;
      const next = change(current);
      const result = await write(current, next.webhook, next.secrets, current.etag);
      if (result !== "precondition-failed") return result;
    }
    throw new Error(`webhook ${id} kept changing concurrently; giving up after 5 attempts`);
  };

  const write = async (
    current: StoredWebhook,
    webhook: Webhook,
    secrets: WebhookSecrets,
    etag: string,
  ): Promise<StoredWebhook | "precondition-failed" | undefined> => {
    const updatedAt = clock.now().toISOString();
    const entity = toEntity(webhook, secrets, { createdAt: current.createdAt, updatedAt }, cipher);
    try {
      const response = await client.updateEntity(entity, "Replace", { etag });
      return { webhook, secrets, etag: response.etag ?? "", createdAt: current.createdAt, updatedAt };
    } catch (error) {
      if (statusOf(error) === 412) return "precondition-failed";
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  };

  return {
    async create(id, input, secret) {
      await ready();
      const now = clock.now().toISOString();
      const webhook: Webhook = { id, ...input };
      const secrets: WebhookSecrets = { current: secret };
      const response = await client.createEntity(
        toEntity(webhook, secrets, { createdAt: now, updatedAt: now }, cipher),
      );
      return { webhook, secrets, etag: response.etag ?? "", createdAt: now, updatedAt: now };
    },

    get,

    async list() {
      await ready();
      const items: StoredWebhook[] = [];
      const entities = client.listEntities({
        queryOptions: { filter: odata`PartitionKey eq ${WEBHOOK_PARTITION}` },
      });
      for await (const entity of entities) items.push(decodeOrThrow(entity));
      return items;
    },

    async replace(id, input, ifMatch) {
      const current = await get(id);
      if (current === undefined) return { kind: "not-found" };
      if (ifMatch !== undefined && ifMatch !== "*" && ifMatch !== current.etag)
        return { kind: "precondition-failed" };
      const webhook = replacedState(current.webhook, { id, ...input }, clock.now());
      const result = await write(current, webhook, current.secrets, current.etag);
      if (result === undefined) return { kind: "not-found" };
      if (result === "precondition-failed") return { kind: "precondition-failed" };
      return { kind: "replaced", stored: result };
    },

    async remove(id) {
      await ready();
      try {
        await client.deleteEntity(WEBHOOK_PARTITION, id);
        return true;
      } catch (error) {
        if (statusOf(error) === 404) return false;
        throw error;
      }
    },

    rotateSecret: (id, secret, previousValidUntil) =>
      update(id, ({ webhook, secrets }) => ({
        webhook,
        secrets: {
          current: secret,
          previous: secrets.current,
          previousValidUntil: previousValidUntil.toISOString(),
        },
      })),

    disable: (id, reason) =>
      update(id, ({ webhook, secrets }) => ({
        webhook: {
          ...webhook,
          disabled: true,
          disabledReason: reason,
          stateChangedAt: webhook.disabled
            ? (webhook.stateChangedAt ?? clock.now().toISOString())
            : clock.now().toISOString(),
        },
        secrets,
      })),
  };
};

/**
 * The state fields after a full replace: a change of `disabled` is stamped with the time (re-enabling is how an
 * operator undoes an automatic disable, and starts a new sustained-failure window); a webhook that stays
 * disabled keeps its reason; one an operator disables gets the reason `operator`.
 */
const replacedState = (current: Webhook, next: Webhook, now: Date): Webhook => {
  const { disabledReason: _reason, stateChangedAt: _since, ...rest } = next;
  const changed = current.disabled !== next.disabled;
  const since = changed ? now.toISOString() : current.stateChangedAt;
  const reason = !next.disabled ? undefined : changed ? "operator" : (current.disabledReason ?? "operator");
  return {
    ...rest,
    ...(reason === undefined ? {} : { disabledReason: reason }),
    ...(since === undefined ? {} : { stateChangedAt: since }),
  };
};
