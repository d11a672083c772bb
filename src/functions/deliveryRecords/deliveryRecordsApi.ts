import { type HttpRequest, type HttpResponseInit } from "@azure/functions";
import * as t from "io-ts";

import { type DeadLetter, type DeadLetterStore, deliveryOf } from "../../adapters/tables/deadLetters";
import { type DeliveryLog } from "../../adapters/tables/deliveryLog";
import { type WebhookStore } from "../../adapters/tables/webhookStore";
import { deliveryId } from "../../domain/deliveryPlan";
import { type DispatchInput, type DispatchSettings } from "../../domain/dispatch";
import { DISPATCH_ORCHESTRATOR } from "../dispatch/dispatchOrchestrator";
import { type OrchestrationStarter } from "../dispatch/orchestrationStarter";
import { json, problem } from "../http/problem";
import { MASK } from "../webhooks/webhookView";

export interface DeliveryRecordsDeps {
  readonly webhooks: Pick<WebhookStore, "get">;
  readonly deadLetters: DeadLetterStore;
  readonly log: DeliveryLog;
  readonly settings: () => DispatchSettings;
  readonly clock: { now(): Date };
  readonly newId: () => string;
}

/** The answer to a route that starts a delivery (ping, replay). */
export const Accepted = t.type({ deliveryId: t.string, instanceId: t.string }, "Accepted");
export type Accepted = t.TypeOf<typeof Accepted>;

/** A route that only reads or deletes records. */
type Handler = (request: HttpRequest) => Promise<HttpResponseInit>;
/** A route that starts deliveries: the only kind that gets a durable client. */
type StartingHandler = (request: HttpRequest, starter: OrchestrationStarter) => Promise<HttpResponseInit>;

/** A bounded integer query parameter, or a problem naming it. */
const limitOf = (request: HttpRequest, fallback: number, max: number): number | HttpResponseInit => {
  const text = request.query.get("limit");
  if (text === null) return fallback;
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 && n <= max
    ? n
    : problem(400, "Invalid query", [{ path: "?limit", message: `must be an integer from 1 to ${max}` }]);
};

const reveal = (request: HttpRequest): boolean =>
  (request.query.get("reveal") ?? "").split(",").includes("headers");

/** Dead letters as the API shows them: header values masked unless revealed (they may hold credentials). */
const deadLetterView = (letter: DeadLetter, revealHeaders: boolean): DeadLetter => ({
  ...letter,
  headers: revealHeaders
    ? letter.headers
    : Object.fromEntries(Object.keys(letter.headers).map((k) => [k, MASK])),
});

export const makeDeliveryRecordsApi = (deps: DeliveryRecordsDeps) => {
  const startDeliveries = async (
    starter: OrchestrationStarter,
    reason: "ping" | "replay",
    deliveries: DispatchInput & { kind: "deliveries" },
  ): Promise<string> => {
    const instanceId = `${reason}:${deliveries.deliveries[0]?.id ?? "none"}:${deps.newId()}`;
    await starter.startIfAbsent(DISPATCH_ORCHESTRATOR, instanceId, deliveries);
    return instanceId;
  };

  const listDeadLetters: Handler = async (request) => {
    const limit = limitOf(request, 100, 1000);
    if (typeof limit !== "number") return limit;
    const webhookId = request.query.get("webhookId") ?? undefined;
    const items = await deps.deadLetters.list({ ...(webhookId === undefined ? {} : { webhookId }), limit });
    return json(200, { items: items.map((l) => deadLetterView(l, reveal(request))) });
  };

  /**
   * Failure policy: the row is removed before the replay starts and put back if starting fails, so a replay that
   * fails again (and dead-letters the same delivery id anew) can never be deleted by this request afterwards.
   */
  const replayDeadLetter: StartingHandler = async (request, starter) => {
    const id = request.params.id ?? "";
    const letter = await deps.deadLetters.get(id);
    if (letter === undefined) return problem(404, `No dead letter with delivery id "${id}"`);
    const webhook = await deps.webhooks.get(letter.webhookId);
    if (webhook === undefined)
      return problem(409, "The webhook of this dead letter was deleted; nothing to replay to");
    if (webhook.webhook.disabled) return problem(409, "The webhook is disabled; enable it before replaying");
    await deps.deadLetters.remove(id);
    try {
      const input: DispatchInput & { kind: "deliveries" } = {
        kind: "deliveries",
        reason: "replay",
        deliveries: [deliveryOf(letter)],
        settings: deps.settings(),
      };
      const accepted: Accepted = {
        deliveryId: id,
        instanceId: await startDeliveries(starter, "replay", input),
      };
      return json(202, accepted);
    } catch (error) {
      await deps.deadLetters.put([letter]);
      throw error;
    }
  };

  const deleteDeadLetter: Handler = async (request) =>
    (await deps.deadLetters.remove(request.params.id ?? ""))
      ? { status: 204 }
      : problem(404, `No dead letter with delivery id "${request.params.id ?? ""}"`);

  const listDeliveries: Handler = async (request) => {
    const limit = limitOf(request, 50, 1000);
    if (typeof limit !== "number") return limit;
    const id = request.params.id ?? "";
    if ((await deps.webhooks.get(id)) === undefined) return problem(404, `No webhook with id "${id}"`);
    return json(200, { items: await deps.log.list(id, limit) });
  };

  /** A `ping` {name: the webhook's name attribute, or its id} through the same pipeline as any event. */
  const ping: StartingHandler = async (request, starter) => {
    const id = request.params.id ?? "";
    const stored = await deps.webhooks.get(id);
    if (stored === undefined) return problem(404, `No webhook with id "${id}"`);
    if (stored.webhook.disabled) return problem(409, "The webhook is disabled; enable it before pinging");
    const eventId = `ping:${deps.clock.now().toISOString()}:${deps.newId()}`;
    const attributes = stored.webhook.attributes;
    const payload: Record<string, string> = "name" in attributes ? {} : { name: id };
    const delivery = {
      id: deliveryId(eventId, id, 0),
      eventId,
      webhookId: id,
      message: { name: "ping" as const, payload },
    };
    const instanceId = await startDeliveries(starter, "ping", {
      kind: "deliveries",
      reason: "ping",
      deliveries: [delivery],
      settings: deps.settings(),
    });
    const accepted: Accepted = { deliveryId: delivery.id, instanceId };
    return json(202, accepted);
  };

  return { listDeadLetters, replayDeadLetter, deleteDeadLetter, listDeliveries, ping };
};
