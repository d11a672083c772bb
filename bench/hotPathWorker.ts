import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";

import * as E from "fp-ts/Either";

import { planDeliveries } from "../src/domain/deliveryPlan";
import { IncomingEvent } from "../src/domain/events";
import { type Webhook } from "../src/domain/webhook";
import { indexWebhooks } from "../src/domain/webhookIndex";
import { fiscalCodeFor } from "./workload";

/**
 * One hot-path case, in a worker thread so the parent can stop it at its time budget: decode (JSON.parse + the
 * IncomingEvent codec) + remap + route (planDeliveries) of one event against `webhooks` webhooks, each with its
 * own name and serviceId, subscribed to both public events. As in the plan activity, the routing index is built
 * once per webhook list (its cost is reported apart), and every event of a batch is planned against it.
 */
export type HotPathKind = "ping" | "ping:all" | "profile:completed AUTO" | "service:subscribed";

export interface HotPathCase {
  readonly kind: HotPathKind;
  readonly webhooks: number;
  /** Stop repeating once this much time was spent (at least one iteration always runs). */
  readonly minTotalMs: number;
}

export interface HotPathSample {
  readonly iterations: number;
  readonly perEventMs: number;
  readonly deliveries: number;
  /** Building the routing index, which the plan activity does once per cached webhook list, not per event. */
  readonly indexMs: number;
}

export const hotPathWebhooks = (count: number): ReadonlyArray<Webhook> =>
  Array.from({ length: count }, (_, i) => ({
    id: `wh-${i}`,
    url: `https://receiver-${i}.example.org/hook`,
    subscriptions: ["ping", "service:subscribed"],
    attributes: { name: `name-${i}`, serviceId: `service-${i}` },
    headers: {},
    disabled: false,
  }));

export const hotPathBody = (kind: HotPathKind, webhooks: number): string => {
  const middle = Math.floor(webhooks / 2);
  switch (kind) {
    case "ping":
      return JSON.stringify({ name: "ping", payload: { name: `name-${middle}` } });
    case "ping:all":
      return JSON.stringify({ name: "ping:all" });
    case "profile:completed AUTO":
      return JSON.stringify({
        name: "profile:completed",
        payload: { fiscalCode: fiscalCodeFor(1), servicePreferencesMode: "AUTO" },
      });
    case "service:subscribed":
      return JSON.stringify({
        name: "service:subscribed",
        payload: { serviceId: `service-${middle}`, fiscalCode: fiscalCodeFor(1) },
      });
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
};

export const runHotPathCase = (c: HotPathCase): HotPathSample => {
  const webhooks = hotPathWebhooks(c.webhooks);
  const body = hotPathBody(c.kind, c.webhooks);
  const indexStarted = performance.now();
  const index = indexWebhooks(webhooks);
  const indexMs = performance.now() - indexStarted;
  let iterations = 0;
  let deliveries = 0;
  const started = performance.now();
  do {
    const decoded = IncomingEvent.decode(JSON.parse(body));
    if (E.isLeft(decoded)) throw new Error(`the ${c.kind} bench event does not decode`);
    deliveries = planDeliveries(`event-${iterations}`, decoded.right, index).length;
    iterations++;
  } while (performance.now() - started < c.minTotalMs && iterations < 100_000);
  return { iterations, perEventMs: (performance.now() - started) / iterations, deliveries, indexMs };
};

if (parentPort !== null && workerData !== undefined) {
  parentPort.postMessage(runHotPathCase(workerData as HotPathCase));
}
