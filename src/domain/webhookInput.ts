import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { isPublicEventName, PUBLIC_EVENT_NAMES, type PublicEventName, REQUIRED_ATTRIBUTES } from "./events";
import { type FieldError, fieldErrorsOf } from "./fieldErrors";
import { WebhookInput, WebhookOptions, type WebhookSettings } from "./webhook";

export interface WebhookInputPolicy {
  /** ALLOW_INSECURE_WEBHOOKS: accept http:// URLs. */
  readonly allowInsecure: boolean;
  /** Why a URL hostname that is an IP literal must not be a target (undefined: allowed). */
  readonly blockedHostReason: (hostname: string) => string | undefined;
}

export const MAX_URL_LENGTH = 2048;
export const MAX_HEADERS = 20;
export const MAX_ATTRIBUTES = 32;
const MAX_ATTRIBUTE_LENGTH = 256;
const MAX_HEADER_VALUE_LENGTH = 4096;
/** Headers the dispatcher owns; a webhook may not set them. Any `webhook-*` name is reserved too. */
export const RESERVED_HEADERS = ["host", "content-length", "transfer-encoding", "connection", "content-type"];
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const KNOWN_FIELDS = [...Object.keys(WebhookInput.props), ...Object.keys(WebhookOptions.props)];

const { url, attributes, headers, disabled } = WebhookInput.props;
/**
 * The body create and replace accept, before the checks below: WebhookInput's fields, attributes, headers and
 * disabled optional. Subscriptions are any strings here so that each unknown name is reported at its index.
 */
export const WebhookInputBody = t.intersection(
  [
    t.type({ url, subscriptions: t.array(t.string) }),
    t.partial({ attributes, headers, disabled, ...WebhookOptions.props }),
  ],
  "WebhookInputBody",
);
export type WebhookInputBody = t.TypeOf<typeof WebhookInputBody>;

/**
 * Validates a webhook body. Every problem is reported at once, each with its path; values are never echoed.
 * Failure policy: nothing is stored unless the whole body is valid.
 */
export const validateWebhookInput = (
  body: unknown,
  policy: WebhookInputPolicy,
): E.Either<ReadonlyArray<FieldError>, WebhookSettings> => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return E.left([{ path: "/", message: "must be a JSON object" }]);
  }
  const unknownFields = Object.keys(body)
    .filter((key) => !KNOWN_FIELDS.includes(key))
    .map((key) => ({ path: `/${key}`, message: `is not a known field (known: ${KNOWN_FIELDS.join(", ")})` }));
  const shape = WebhookInputBody.decode(body);
  if (E.isLeft(shape)) return E.left([...unknownFields, ...fieldErrorsOf(shape.left)]);
  const input = shape.right;
  const subscriptions = checkSubscriptions(input.subscriptions);
  const attributes = input.attributes ?? {};
  const headers = input.headers ?? {};
  const errors = [
    ...unknownFields,
    ...checkUrl(input.url, policy),
    ...subscriptions.errors,
    ...checkAttributes(attributes, subscriptions.names),
    ...checkHeaders(headers),
  ];
  return errors.length > 0
    ? E.left(errors)
    : E.right({
        url: new URL(input.url).href,
        subscriptions: subscriptions.names,
        attributes: trimValues(attributes),
        headers,
        disabled: input.disabled ?? false,
        ordering: input.ordering ?? "none",
        orderingOnFailure: input.orderingOnFailure ?? "continue",
      });
};

const checkUrl = (url: string, policy: WebhookInputPolicy): ReadonlyArray<FieldError> => {
  const at = (message: string): ReadonlyArray<FieldError> => [{ path: "/url", message }];
  if (url.length > MAX_URL_LENGTH) return at(`must be at most ${MAX_URL_LENGTH} characters`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return at("must be an absolute http(s) URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return at("must be an http(s) URL");
  if (parsed.protocol === "http:" && !policy.allowInsecure) {
    return at("must use https (http is allowed only when ALLOW_INSECURE_WEBHOOKS is true)");
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return at("must not carry credentials; put them in headers instead");
  }
  const blocked = policy.blockedHostReason(parsed.hostname);
  return blocked === undefined
    ? []
    : at(`must not target a ${blocked} address (allowed only when ALLOW_PRIVATE_NETWORK_TARGETS is true)`);
};

const checkSubscriptions = (
  names: ReadonlyArray<string>,
): { names: ReadonlyArray<PublicEventName>; errors: ReadonlyArray<FieldError> } => {
  const errors: FieldError[] =
    names.length === 0 ? [{ path: "/subscriptions", message: "must not be empty" }] : [];
  const known: PublicEventName[] = [];
  names.forEach((name, i) => {
    if (!isPublicEventName(name)) {
      errors.push({
        path: `/subscriptions/${i}`,
        message: `is not a public event (known: ${PUBLIC_EVENT_NAMES.join(", ")})`,
      });
    } else if (!known.includes(name)) {
      known.push(name);
    }
  });
  return { names: known, errors };
};

const checkAttributes = (
  attributes: Readonly<Record<string, string>>,
  subscriptions: ReadonlyArray<PublicEventName>,
): ReadonlyArray<FieldError> => {
  const errors: FieldError[] = [];
  const keys = Object.keys(attributes);
  if (keys.length > MAX_ATTRIBUTES)
    errors.push({ path: "/attributes", message: `at most ${MAX_ATTRIBUTES}` });
  for (const key of keys) {
    const value = attributes[key] ?? "";
    if (key.trim() === "") errors.push({ path: "/attributes", message: "attribute names must not be empty" });
    if (value.trim() === "")
      errors.push({ path: `/attributes/${key}`, message: "must be a non-empty string" });
    if (value.length > MAX_ATTRIBUTE_LENGTH) {
      errors.push({
        path: `/attributes/${key}`,
        message: `must be at most ${MAX_ATTRIBUTE_LENGTH} characters`,
      });
    }
  }
  for (const event of subscriptions) {
    for (const required of REQUIRED_ATTRIBUTES[event]) {
      if (!keys.includes(required)) {
        errors.push({ path: `/attributes/${required}`, message: `is required to subscribe to ${event}` });
      }
    }
  }
  return errors;
};

const checkHeaders = (headers: Readonly<Record<string, string>>): ReadonlyArray<FieldError> => {
  const errors: FieldError[] = [];
  const names = Object.keys(headers);
  if (names.length > MAX_HEADERS)
    errors.push({ path: "/headers", message: `at most ${MAX_HEADERS} headers` });
  const lower = new Set<string>();
  for (const name of names) {
    const key = name.toLowerCase();
    const value = headers[name] ?? "";
    if (!HEADER_NAME.test(name))
      errors.push({ path: `/headers/${name}`, message: "is not a valid header name" });
    else if (RESERVED_HEADERS.includes(key) || key.startsWith("webhook-")) {
      errors.push({ path: `/headers/${name}`, message: "is set by the dispatcher and cannot be overridden" });
    } else if (lower.has(key)) errors.push({ path: `/headers/${name}`, message: "is given twice" });
    if (/[\r\n\0]/.test(value))
      errors.push({ path: `/headers/${name}`, message: "must not contain CR, LF or NUL" });
    if (value.length > MAX_HEADER_VALUE_LENGTH) {
      errors.push({
        path: `/headers/${name}`,
        message: `must be at most ${MAX_HEADER_VALUE_LENGTH} characters`,
      });
    }
    lower.add(key);
  }
  return errors;
};

const trimValues = (record: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v.trim()]));
