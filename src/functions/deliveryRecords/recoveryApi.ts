import { type HttpRequest, type HttpResponseInit } from "@azure/functions";
import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { type DeadLetterStore } from "../../adapters/tables/deadLetters";
import { type WebhookStore } from "../../adapters/tables/webhookStore";
import { fieldErrorsOf } from "../../domain/fieldErrors";
import { type OrchestrationStarter, type OrchestrationStatusReader } from "../dispatch/orchestrationStarter";
import { json, problem } from "../http/problem";
import { readJsonBody } from "../http/requestBody";
import {
  type Recovery,
  RECOVERY_ORCHESTRATOR,
  recoveryInstanceId,
  type RecoveryProgress,
  recoveryView,
} from "./recovery";

export interface RecoveryApiDeps {
  readonly webhooks: Pick<WebhookStore, "get">;
  readonly deadLetters: Pick<DeadLetterStore, "count">;
  readonly clock: { now(): Date };
  readonly newId: () => string;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** The calendar date exists (Date.parse rolls 2026-02-30 over to 2026-03-02). */
const realDate = (s: string): boolean => {
  const [y, m, d] = s.slice(0, 10).split("-").map(Number);
  const date = new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1));
  return date.getUTCFullYear() === y && date.getUTCMonth() + 1 === m && date.getUTCDate() === d;
};

interface IsoTimeBrand {
  readonly IsoTime: unique symbol;
}
/** An ISO 8601 date and time with a zone (`2026-03-01T10:00:00Z`, `...+01:00`). */
export const IsoTime = t.brand(
  t.string,
  (s): s is t.Branded<string, IsoTimeBrand> =>
    ISO_TIME.test(s) && !Number.isNaN(Date.parse(s)) && realDate(s),
  "IsoTime",
);
export type IsoTime = t.TypeOf<typeof IsoTime>;

/** The body of `POST /api/webhooks/{id}/recover`. */
export const RecoverRequest = t.type({ since: IsoTime }, "RecoverRequest");
export type RecoverRequest = t.TypeOf<typeof RecoverRequest>;

const invalid = (errors: ReadonlyArray<{ path: string; message: string }>): HttpResponseInit =>
  problem(400, "The recovery request is not valid", errors);

/** The recovery's address, as the Location of the 202 and in the CLI. */
export const recoveryLocation = (webhookId: string, recoveryId: string): string =>
  `/api/webhooks/${encodeURIComponent(webhookId)}/recoveries/${encodeURIComponent(recoveryId)}`;

export const makeRecoveryApi = (deps: RecoveryApiDeps) => {
  /**
   * Starts a recovery of the webhook's dead letters dead-lettered from `since` until now, answering with how many
   * there are (counted before it starts). Failure policy: the count and the start are separate reads; a dead
   * letter removed in between (replayed, deleted) is simply not found, one dead-lettered after now is not in the
   * window (a later recovery takes it).
   */
  const start = async (request: HttpRequest, starter: OrchestrationStarter): Promise<HttpResponseInit> => {
    const body = await readJsonBody(request);
    if (E.isLeft(body)) return body.left;
    const decoded = RecoverRequest.decode(body.right);
    if (E.isLeft(decoded)) return invalid(fieldErrorsOf(decoded.left));
    const now = deps.clock.now();
    const since = new Date(decoded.right.since);
    if (since.getTime() > now.getTime())
      return invalid([{ path: "/since", message: "must not be in the future" }]);
    const webhookId = request.params.id ?? "";
    const webhook = await deps.webhooks.get(webhookId);
    if (webhook === undefined) return problem(404, `No webhook with id "${webhookId}"`);
    if (webhook.webhook.disabled) return problem(409, "The webhook is disabled; enable it before recovering");
    const startedAt = now.toISOString();
    const window = { webhookId, from: since.toISOString(), until: startedAt };
    const progress: RecoveryProgress = {
      recoveryId: deps.newId(),
      webhookId,
      since: window.from,
      startedAt,
      count: await deps.deadLetters.count(window),
      found: 0,
      handedOver: 0,
    };
    await starter.startIfAbsent(
      RECOVERY_ORCHESTRATOR,
      recoveryInstanceId(webhookId, progress.recoveryId),
      progress,
    );
    const accepted: Recovery = {
      id: progress.recoveryId,
      webhookId,
      state: "running",
      since: progress.since,
      startedAt,
      count: progress.count,
      found: 0,
      handedOver: 0,
      updatedAt: startedAt,
    };
    return json(202, accepted, { location: recoveryLocation(webhookId, progress.recoveryId) });
  };

  /** A recovery's state; 404 for an unknown one (or one whose finished orchestration was purged). */
  const get = async (request: HttpRequest, reader: OrchestrationStatusReader): Promise<HttpResponseInit> => {
    const webhookId = request.params.id ?? "";
    const recoveryId = request.params.recoveryId ?? "";
    const status = await reader.status(recoveryInstanceId(webhookId, recoveryId));
    const view = status === undefined ? undefined : recoveryView(status);
    return view === undefined || view.webhookId !== webhookId
      ? problem(404, `No recovery "${recoveryId}" of webhook "${webhookId}"`)
      : json(200, view);
  };

  return { start, get };
};
