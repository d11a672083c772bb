import { createHash } from "node:crypto";

import { type HttpRequest, type HttpResponseInit } from "@azure/functions";
import * as t from "io-ts";

import {
  type DeadLetter,
  type DeadLetterStore,
  deliveryOf,
  type RemoveResult,
  type StoredDeadLetter,
} from "../../adapters/tables/deadLetters";
import { type DeliveryLog } from "../../adapters/tables/deliveryLog";
import { type WebhookStore } from "../../adapters/tables/webhookStore";
import { type AppDeps } from "../../composition";
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

/**
 * The replay of one version of a dead letter: the same for every request that replays it (so a repeated request
 * starts nothing new), another once the delivery has been dead-lettered again (a new `deadLetteredAt`).
 */
export const replayInstanceId = (letter: Pick<DeadLetter, "deliveryId" | "deadLetteredAt">): string =>
  `replay:${letter.deliveryId}:${createHash("sha256").update(letter.deadLetteredAt).digest("base64url").slice(0, 16)}`;

/**
 * Sends a dead letter again with the same delivery id (the dead-letter replay and the recovery both do it this way).
 * Failure policy: the replay starts first, idempotently (its instance id comes from the dead letter), and only
 * then is the row removed, and only the version that was read. A caller that dies between the two steps leaves
 * the dead letter in place; repeating it finds the instance started, starts nothing (nothing is delivered twice)
 * and removes the row. A replay that fails again before the removal writes a new version of the row (and a new
 * `deadLetteredAt`, so a new instance id): that one is kept (`changed`), for the next replay.
 */
export const handOverDeadLetter = async (
  deps: Pick<DeliveryRecordsDeps, "deadLetters" | "settings">,
  stored: StoredDeadLetter,
  starter: OrchestrationStarter,
): Promise<{ readonly instanceId: string; readonly removed: RemoveResult }> => {
  const instanceId = replayInstanceId(stored.letter);
  const input: DispatchInput & { kind: "deliveries" } = {
    kind: "deliveries",
    reason: "replay",
    deliveries: [deliveryOf(stored.letter)],
    settings: deps.settings(),
  };
  await starter.startIfAbsent(DISPATCH_ORCHESTRATOR, instanceId, input);
  const removed = await deps.deadLetters.remove(stored.letter.deliveryId, stored.etag);
  return { instanceId, removed };
};

/** The API's dependencies from the app's (one place for every route that uses it). */
export const deliveryRecordsDepsOf = (deps: AppDeps): DeliveryRecordsDeps => ({
  webhooks: deps.webhooks,
  deadLetters: deps.deadLetters,
  log: deps.deliveryLog,
  settings: () => deps.dispatchSettings,
  clock: deps.clock,
  newId: deps.newId,
});

export const makeDeliveryRecordsApi = (deps: DeliveryRecordsDeps) => {
  const listDeadLetters: Handler = async (request) => {
    const limit = limitOf(request, 100, 1000);
    if (typeof limit !== "number") return limit;
    const webhookId = request.query.get("webhookId") ?? undefined;
    const items = await deps.deadLetters.list({ ...(webhookId === undefined ? {} : { webhookId }), limit });
    return json(200, { items: items.map((l) => deadLetterView(l, reveal(request))) });
  };

  const replayDeadLetter: StartingHandler = (request, starter) =>
    replayById(request.params.id ?? "", starter);

  const replayById = async (id: string, starter: OrchestrationStarter): Promise<HttpResponseInit> => {
    const stored = await deps.deadLetters.get(id);
    if (stored === undefined) return problem(404, `No dead letter with delivery id "${id}"`);
    const webhook = await deps.webhooks.get(stored.letter.webhookId);
    if (webhook === undefined)
      return problem(409, "The webhook of this dead letter was deleted; nothing to replay to");
    if (webhook.webhook.disabled) return problem(409, "The webhook is disabled; enable it before replaying");
    const { instanceId } = await handOverDeadLetter(deps, stored, starter);
    const accepted: Accepted = { deliveryId: id, instanceId };
    return json(202, accepted);
  };

  const deleteDeadLetter: Handler = async (request) =>
    (await deps.deadLetters.remove(request.params.id ?? "")) === "removed"
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
    const instanceId = `ping:${delivery.id}:${deps.newId()}`;
    await starter.startIfAbsent(DISPATCH_ORCHESTRATOR, instanceId, {
      kind: "deliveries",
      reason: "ping",
      deliveries: [delivery],
      settings: deps.settings(),
    });
    const accepted: Accepted = { deliveryId: delivery.id, instanceId };
    return json(202, accepted);
  };

  return { listDeadLetters, replayDeadLetter, replayById, deleteDeadLetter, listDeliveries, ping };
};
