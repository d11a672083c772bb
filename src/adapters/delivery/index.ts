// HTTP delivery of webhooks: signed Standard Webhooks POSTs over undici, guarded against internal targets.
export { signatureHeaders } from "./signing";
export type { AttemptResult, WebhookRequest, WebhookSender, WebhookSenderOptions } from "./webhookSender";
export { makeWebhookSender } from "./webhookSender";
