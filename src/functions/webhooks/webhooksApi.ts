import { type HttpRequest, type HttpResponseInit } from "@azure/functions";
import * as E from "fp-ts/Either";

import { type SubjectStreams } from "../../adapters/tables/subjectStreams";
import { type WebhookHealthStore } from "../../adapters/tables/webhookHealth";
import { type WebhookStore } from "../../adapters/tables/webhookStore";
import { validateWebhookInput, type WebhookInputPolicy } from "../../domain/webhookInput";
import { json, problem } from "../http/problem";
import { readJsonBody } from "../http/requestBody";
import { webhookHealthView } from "./healthView";
import { type SecretRotated, type WebhookCreated, type WebhookList, webhookView } from "./webhookView";

export interface WebhooksApiDeps {
  readonly store: WebhookStore;
  readonly policy: () => WebhookInputPolicy;
  readonly clock: { now(): Date };
  readonly newId: () => string;
  /** `whsec_` + base64 of at least 24 random bytes. */
  readonly newSecret: () => string;
  /** How long a rotated-out secret keeps signing (SECRET_ROTATION_GRACE_SECONDS). */
  readonly rotationGraceMs: () => number;
  /** Endpoint health (written by the deliver activities) and AUTO_DISABLE_AFTER, for the health views. */
  readonly health?: Pick<WebhookHealthStore, "get" | "list" | "remove">;
  readonly autoDisableAfterMs?: () => number;
  /** Held subjects of per-subject webhooks, counted in a webhook's health (one partition query, on request). */
  readonly streams?: Pick<SubjectStreams, "held">;
}

export type HttpHandler = (request: HttpRequest) => Promise<HttpResponseInit>;

const revealHeaders = (request: HttpRequest): boolean =>
  (request.query.get("reveal") ?? "").split(",").includes("headers");

const idOf = (request: HttpRequest): string => request.params.id ?? "";

const notFound = (id: string): HttpResponseInit => problem(404, `No webhook with id "${id}"`);

const validationProblem = (errors: Parameters<typeof problem>[2]): HttpResponseInit =>
  problem(400, "The webhook is not valid; see errors", errors);

/** Admin API over the webhook store. Secrets appear only in create and rotate-secret responses. */
export const makeWebhooksApi = (deps: WebhooksApiDeps) => {
  const create: HttpHandler = async (request) => {
    const body = await readJsonBody(request);
    if (E.isLeft(body)) return body.left;
    const input = validateWebhookInput(body.right, deps.policy());
    if (E.isLeft(input)) return validationProblem(input.left);
    const id = deps.newId();
    const secret = deps.newSecret();
    const stored = await deps.store.create(id, input.right, secret);
    const created: WebhookCreated = { ...webhookView(stored, revealHeaders(request)), secret };
    return json(201, created, { etag: stored.etag, location: `/api/webhooks/${encodeURIComponent(id)}` });
  };

  const rule = () => ({ autoDisableAfterMs: deps.autoDisableAfterMs?.() ?? 0, now: deps.clock.now() });

  /** `?include=health` adds each webhook's health summary: one more query (the health partition), on request. */
  const list: HttpHandler = async (request) => {
    const include = (request.query.get("include") ?? "").split(",").filter((s) => s !== "");
    if (include.some((s) => s !== "health"))
      return problem(400, "Invalid query", [{ path: "?include", message: "must be health" }]);
    const [items, records] = await Promise.all([
      deps.store.list(),
      include.includes("health") && deps.health !== undefined ? deps.health.list() : undefined,
    ]);
    const body: WebhookList = {
      items: items.map((stored) => ({
        ...webhookView(stored, revealHeaders(request)),
        ...(records === undefined
          ? {}
          : { health: webhookHealthView(stored, records.get(stored.webhook.id), rule()) }),
      })),
    };
    return json(200, body);
  };

  const health: HttpHandler = async (request) => {
    const stored = await deps.store.get(idOf(request));
    if (stored === undefined) return notFound(idOf(request));
    const { webhook } = stored;
    const [record, held] = await Promise.all([
      deps.health?.get(webhook.id),
      webhook.ordering === "per-subject" ? deps.streams?.held(webhook.id) : undefined,
    ]);
    const heldSubjects =
      held === undefined
        ? undefined
        : {
            waiting: held.filter((h) => h.progress.state === "waiting").length,
            blocked: held.filter((h) => h.progress.state === "blocked").length,
          };
    return json(200, webhookHealthView(stored, record, rule(), heldSubjects));
  };

  const get: HttpHandler = async (request) => {
    const stored = await deps.store.get(idOf(request));
    return stored === undefined
      ? notFound(idOf(request))
      : json(200, webhookView(stored, revealHeaders(request)), { etag: stored.etag });
  };

  const replace: HttpHandler = async (request) => {
    const body = await readJsonBody(request);
    if (E.isLeft(body)) return body.left;
    const input = validateWebhookInput(body.right, deps.policy());
    if (E.isLeft(input)) return validationProblem(input.left);
    const ifMatch = request.headers.get("if-match") ?? undefined;
    const result = await deps.store.replace(idOf(request), input.right, ifMatch);
    switch (result.kind) {
      case "replaced":
        return json(200, webhookView(result.stored, revealHeaders(request)), { etag: result.stored.etag });
      case "not-found":
        return notFound(idOf(request));
      case "precondition-failed":
        return problem(412, "The webhook changed since it was read (If-Match does not match); read it again");
      default: {
        const unreachable: never = result;
        return unreachable;
      }
    }
  };

  const remove: HttpHandler = async (request) => {
    if (!(await deps.store.remove(idOf(request)))) return notFound(idOf(request));
    // Failure policy: a health row left behind by a failed removal is harmless (nothing lists it without its
    // webhook) and is overwritten if the id ever comes back.
    await deps.health?.remove(idOf(request)).catch(() => undefined);
    return { status: 204 };
  };

  const rotateSecret: HttpHandler = async (request) => {
    const secret = deps.newSecret();
    const graceUntil = new Date(deps.clock.now().getTime() + deps.rotationGraceMs());
    const stored = await deps.store.rotateSecret(idOf(request), secret, graceUntil);
    const rotated: SecretRotated = { secret, previousSecretValidUntil: graceUntil.toISOString() };
    return stored === undefined ? notFound(idOf(request)) : json(200, rotated, { etag: stored.etag });
  };

  return { create, list, get, replace, remove, rotateSecret, health };
};
