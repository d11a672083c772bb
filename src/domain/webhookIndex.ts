import { type NonEmptyString, type PublicEvent, type PublicEventName, REQUIRED_ATTRIBUTES } from "./events";
import { route, type Routed } from "./routing";
import { type Webhook } from "./webhook";

/**
 * The enabled webhooks indexed for the dispatch path, built once per webhook list (the plan activity builds one
 * per batch). Routing a public event then costs a lookup plus the few candidates it finds, instead of a scan of
 * every webhook: each public event names its required attribute in its payload (ping.name,
 * service:subscribed.serviceId), so only webhooks whose attribute has that value can match.
 */
export interface WebhookIndex {
  readonly webhooks: ReadonlyArray<Webhook>;
  /** event -> value of its first required attribute -> enabled subscribers carrying it, in webhook order. */
  readonly candidates: ReadonlyMap<PublicEventName, ReadonlyMap<string, ReadonlyArray<Webhook>>>;
  /** Distinct values of an attribute over the enabled webhooks, in webhook order (for remapping). */
  readonly distinctValues: (key: string) => ReadonlyArray<NonEmptyString>;
}

const indexKeyOf = (name: PublicEventName): string => REQUIRED_ATTRIBUTES[name][0] ?? "";

export const indexWebhooks = (webhooks: ReadonlyArray<Webhook>): WebhookIndex => {
  const enabled = webhooks.filter((w) => !w.disabled);
  const candidates = new Map<PublicEventName, Map<string, Webhook[]>>();
  for (const webhook of enabled) {
    for (const name of webhook.subscriptions) {
      const value = webhook.attributes[indexKeyOf(name)];
      if (value === undefined) continue;
      const byValue = candidates.get(name) ?? new Map<string, Webhook[]>();
      candidates.set(name, byValue);
      const list = byValue.get(value) ?? [];
      byValue.set(value, list);
      // A webhook listing an event twice is still one candidate.
      if (list[list.length - 1] !== webhook) list.push(webhook);
    }
  }
  const distinct = new Map<string, ReadonlyArray<NonEmptyString>>();
  return {
    webhooks,
    candidates,
    distinctValues: (key) => {
      let values = distinct.get(key);
      if (values === undefined) {
        values = [
          ...new Set(
            enabled
              .map((w) => w.attributes[key])
              .filter((v): v is NonEmptyString => v !== undefined && v.trim() !== ""),
          ),
        ];
        distinct.set(key, values);
      }
      return values;
    },
  };
};

/** Same answer as `route(event, index.webhooks)`, from the candidates the index holds for the event. */
export const routeIndexed = (event: PublicEvent, index: WebhookIndex): ReadonlyArray<Routed> => {
  const payload: Readonly<Record<string, string>> = event.payload;
  const value = payload[indexKeyOf(event.name)];
  const found = value === undefined ? undefined : index.candidates.get(event.name)?.get(value);
  return found === undefined ? [] : route(event, found);
};
