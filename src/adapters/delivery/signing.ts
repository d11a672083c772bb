import { Webhook } from "standardwebhooks";

/**
 * Standard Webhooks headers for one attempt: webhook-id (the delivery id, the same on every attempt, so receivers
 * dedupe), webhook-timestamp (unix seconds of this attempt) and webhook-signature (`v1,<base64 HMAC-SHA256>` of
 * `id.timestamp.body`). During a secret rotation every secret signs, space-separated, current first, so a
 * receiver holding either secret verifies with an off-the-shelf library.
 */
export const signatureHeaders = (
  deliveryId: string,
  timestamp: Date,
  body: string,
  secrets: ReadonlyArray<string>,
): Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string> => {
  if (secrets.length === 0) throw new Error("a webhook delivery needs at least one signing secret");
  const signatures = secrets.map((secret) => webhookFor(secret).sign(deliveryId, timestamp, body));
  return {
    "webhook-id": deliveryId,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": signatures.join(" "),
  };
};

/**
 * Decoding a secret costs more than the HMAC itself, and a dispatcher signs with few distinct secrets, so the
 * decoded keys are kept. Bounded: the oldest entry goes when the cache is full (secrets of deleted webhooks).
 */
const MAX_CACHED_SECRETS = 1_000;
const webhooks = new Map<string, Webhook>();

const webhookFor = (secret: string): Webhook => {
  const cached = webhooks.get(secret);
  if (cached !== undefined) return cached;
  const webhook = new Webhook(secret);
  if (webhooks.size >= MAX_CACHED_SECRETS) {
    const oldest = webhooks.keys().next();
    if (oldest.done !== true) webhooks.delete(oldest.value);
  }
  webhooks.set(secret, webhook);
  return webhook;
};
