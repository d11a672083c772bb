import { type Webhook } from "../domain/webhook";

/** The original IO dispatcher suite's three webhooks. */
export const wh1: Webhook = {
  id: "wh1",
  url: "https://receiver.example/wh1",
  subscriptions: ["ping"],
  attributes: { name: "wh1" },
  headers: {},
  disabled: false,
};
export const wh2: Webhook = {
  id: "wh2",
  url: "https://receiver.example/wh2",
  subscriptions: ["ping", "service:subscribed"],
  attributes: { name: "wh2", serviceId: "aServiceId12345" },
  headers: {},
  disabled: false,
};
export const wh3: Webhook = {
  id: "wh3",
  url: "https://receiver.example/wh3",
  subscriptions: ["service:subscribed"],
  attributes: { serviceId: "aServiceId09876" },
  headers: {},
  disabled: false,
};
export const originalWebhooks: ReadonlyArray<Webhook> = [wh1, wh2, wh3];

export const aFiscalCode = "AAAAAA00A00A000A";
