import * as E from "fp-ts/Either";

import { type FieldError } from "./fieldErrors";
import { validateWebhookInput, type WebhookInputPolicy } from "./webhookInput";

const strict: WebhookInputPolicy = {
  allowInsecure: false,
  blockedHostReason: (host) => (host === "127.0.0.1" ? "loopback" : undefined),
};
const valid = {
  url: "https://receiver.example/hook",
  subscriptions: ["ping", "service:subscribed"],
  attributes: { name: "wh2", serviceId: "aServiceId12345" },
};
const errorsOf = (body: unknown, policy = strict): ReadonlyArray<FieldError> => {
  const result = validateWebhookInput(body, policy);
  return E.isLeft(result) ? result.left : [];
};
const paths = (body: unknown, policy = strict) => errorsOf(body, policy).map((e) => e.path);

describe("validateWebhookInput", () => {
  it("accepts a valid body and fills in defaults", () => {
    expect(validateWebhookInput(valid, strict)).toEqual(
      E.right({ ...valid, headers: {}, disabled: false, ordering: "none", orderingOnFailure: "continue" }),
    );
  });

  it("rejects a body that is not an object", () => {
    expect(paths([])).toEqual(["/"]);
    expect(paths("x")).toEqual(["/"]);
  });

  it.each([
    ["not a url", "must be an absolute"],
    ["ftp://receiver.example/", "http(s)"],
    ["http://receiver.example/", "https"],
    ["https://user:pw@receiver.example/", "credentials"],
    [`https://receiver.example/${"a".repeat(2100)}`, "2048"],
    ["https://127.0.0.1/hook", "loopback"],
  ])("rejects the url %s", (url, message) => {
    const errors = errorsOf({ ...valid, url });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe("/url");
    expect(errors[0]?.message).toContain(message);
  });

  it("accepts http only when insecure webhooks are allowed", () => {
    expect(
      E.isRight(
        validateWebhookInput(
          { ...valid, url: "http://receiver.example/" },
          { ...strict, allowInsecure: true },
        ),
      ),
    ).toBe(true);
  });

  it("rejects unknown and empty subscriptions, naming the known events", () => {
    expect(errorsOf({ ...valid, subscriptions: [] })).toEqual([
      { path: "/subscriptions", message: "must not be empty" },
    ]);
    const [error] = errorsOf({ ...valid, subscriptions: ["ping", "profile:completed"] });
    expect(error).toEqual({
      path: "/subscriptions/1",
      message: "is not a public event (known: ping, service:subscribed)",
    });
  });

  it("de-duplicates subscriptions", () => {
    const result = validateWebhookInput(
      { ...valid, subscriptions: ["ping", "ping", "service:subscribed"] },
      strict,
    );
    expect(E.isRight(result) && result.right.subscriptions).toEqual(["ping", "service:subscribed"]);
  });

  it("requires the attributes of every subscribed event", () => {
    expect(errorsOf({ ...valid, attributes: { name: "wh2" } })).toEqual([
      { path: "/attributes/serviceId", message: "is required to subscribe to service:subscribed" },
    ]);
  });

  it("rejects empty attribute values and non-string attributes", () => {
    expect(paths({ ...valid, attributes: { name: " ", serviceId: "s" } })).toEqual(["/attributes/name"]);
    expect(paths({ ...valid, attributes: { name: 1, serviceId: "s" } })).toEqual(["/attributes/name"]);
  });

  it.each([
    "Host",
    "content-length",
    "Transfer-Encoding",
    "connection",
    "Content-Type",
    "webhook-signature",
    "Webhook-Id",
  ])("rejects the reserved header %s", (name) => {
    expect(paths({ ...valid, headers: { [name]: "x" } })).toEqual([`/headers/${name}`]);
  });

  it("rejects more than 20 headers, bad names and CR/LF in values", () => {
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`x-h${i}`, "v"]));
    expect(paths({ ...valid, headers: many })).toEqual(["/headers"]);
    expect(paths({ ...valid, headers: { "bad name": "v" } })).toEqual(["/headers/bad name"]);
    expect(paths({ ...valid, headers: { "x-ok": "a\r\nInjected: 1" } })).toEqual(["/headers/x-ok"]);
  });

  it("reports unknown fields and wrong types all at once, without echoing values", () => {
    const errors = errorsOf({ url: 42, subscriptions: "ping", extra: "SECRET-VALUE", disabled: "no" });
    expect(errors.map((e) => e.path).sort()).toEqual(["/disabled", "/extra", "/subscriptions", "/url"]);
    expect(JSON.stringify(errors)).not.toContain("SECRET-VALUE");
  });

  it("reports missing required fields", () => {
    expect(paths({}).sort()).toEqual(["/subscriptions", "/url"]);
  });
});
