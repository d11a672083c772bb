import { type HttpRequest, type HttpResponseInit } from "@azure/functions";
import * as E from "fp-ts/Either";

import { type WebhookStore } from "../../adapters/tables/webhookStore";
import { validateWebhookInput, type WebhookInputPolicy } from "../../domain/webhookInput";
import { json, problem } from "../http/problem";
import { readJsonBody } from "../http/requestBody";
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

  const list: HttpHandler = async (request) => {
    const items = await deps.store.list();
    const body: WebhookList = { items: items.map((stored) => webhookView(stored, revealHeaders(request))) };
    return json(200, body);
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

  const remove: HttpHandler = async (request) =>
    (await deps.store.remove(idOf(request))) ? { status: 204 } : notFound(idOf(request));

  const rotateSecret: HttpHandler = async (request) => {
    const secret = deps.newSecret();
    const graceUntil = new Date(deps.clock.now().getTime() + deps.rotationGraceMs());
    const stored = await deps.store.rotateSecret(idOf(request), secret, graceUntil);
    const rotated: SecretRotated = { secret, previousSecretValidUntil: graceUntil.toISOString() };
    return stored === undefined ? notFound(idOf(request)) : json(200, rotated, { etag: stored.etag });
  };

  return { create, list, get, replace, remove, rotateSecret };
};
