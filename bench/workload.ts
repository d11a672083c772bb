import * as E from "fp-ts/Either";

import { planDeliveries } from "../src/domain/deliveryPlan";
import { IncomingEvent } from "../src/domain/events";
import { type Webhook } from "../src/domain/webhook";

/**
 * What the pipeline bench sends: W webhooks that each carry a `name` and a `serviceId` and subscribe to both
 * public events, and a mix of events. Per 10 events: 1 ping:all (W deliveries), 3 profile:completed AUTO
 * (one service:subscribed per distinct serviceId: W deliveries) and 6 service:subscribed to one webhook's
 * serviceId (1 delivery). Every event carries a unique message id, which the dispatcher uses as its event id,
 * so the bench can compute each delivery's webhook-id with the domain's own planDeliveries.
 */

export interface BenchWebhookSpec {
  readonly name: string;
  readonly serviceId: string;
}

export const webhookSpecs = (count: number): ReadonlyArray<BenchWebhookSpec> =>
  Array.from({ length: count }, (_, i) => ({ name: `bench-wh-${i}`, serviceId: `bench-svc-${i}` }));

export const SUBSCRIPTIONS = ["ping", "service:subscribed"] as const;

/** The dispatcher's view of a registered bench webhook, to plan expected deliveries locally. */
export const mirrorWebhook = (id: string, url: string, spec: BenchWebhookSpec): Webhook => ({
  id,
  url,
  subscriptions: [...SUBSCRIPTIONS],
  attributes: { name: spec.name, serviceId: spec.serviceId },
  headers: {},
  disabled: false,
});

/** A valid-pattern fiscal code from a number (0..9,999,999): no real person's. */
export const fiscalCodeFor = (n: number): string => {
  const d = String(n % 10_000_000).padStart(7, "0");
  return `BNCHMK${d.slice(0, 2)}A${d.slice(2, 4)}B${d.slice(4, 7)}Z`;
};

export type EventKind = "ping:all" | "profile:completed" | "service:subscribed";

const MIX: ReadonlyArray<EventKind> = [
  "service:subscribed",
  "profile:completed",
  "service:subscribed",
  "ping:all",
  "service:subscribed",
  "profile:completed",
  "service:subscribed",
  "service:subscribed",
  "profile:completed",
  "service:subscribed",
];

/** The i-th event body of the mix (deterministic). */
export const mixedEvent = (i: number, specs: ReadonlyArray<BenchWebhookSpec>): unknown => {
  const kind = MIX[i % MIX.length]!;
  return eventOfKind(kind, i, specs);
};

export const eventOfKind = (kind: EventKind, i: number, specs: ReadonlyArray<BenchWebhookSpec>): unknown => {
  switch (kind) {
    case "ping:all":
      return { name: "ping:all" };
    case "profile:completed":
      return {
        name: "profile:completed",
        payload: { fiscalCode: fiscalCodeFor(i), servicePreferencesMode: "AUTO" },
      };
    case "service:subscribed":
      return {
        name: "service:subscribed",
        payload: { serviceId: specs[i % specs.length]!.serviceId, fiscalCode: fiscalCodeFor(i) },
      };
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
};

/** Average deliveries per event of the mix with `webhooks` webhooks. */
export const deliveriesPerEvent = (webhooks: number): number =>
  MIX.reduce((sum, kind) => sum + (kind === "service:subscribed" ? 1 : webhooks), 0) / MIX.length;

/** The webhook-ids the dispatcher will deliver for one event (its message id is the event id). */
export const expectedDeliveryIds = (
  messageId: string,
  body: unknown,
  webhooks: ReadonlyArray<Webhook>,
): ReadonlyArray<string> => {
  const decoded = IncomingEvent.decode(body);
  if (E.isLeft(decoded)) throw new Error("the bench built an event its own codec rejects");
  return planDeliveries(messageId, decoded.right, webhooks).map((d) => d.id);
};
