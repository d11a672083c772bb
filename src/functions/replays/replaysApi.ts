import { type HttpRequest, type HttpResponseInit } from "@azure/functions";
import * as E from "fp-ts/Either";

import { type ReplayStore } from "../../adapters/tables/replays";
import { type WebhookStore } from "../../adapters/tables/webhookStore";
import { type DispatchSettings } from "../../domain/dispatch";
import { NO_COUNTS, type Replay, replayView, validateReplayRequest } from "../../domain/replay";
import { type OrchestrationStarter } from "../dispatch/orchestrationStarter";
import { json, problem } from "../http/problem";
import { readJsonBody } from "../http/requestBody";
import { REPLAY_ORCHESTRATOR, type ReplayInput, replayInstanceId } from "./replayOrchestrator";

export interface ReplaysApiDeps {
  readonly webhooks: Pick<WebhookStore, "get">;
  readonly replays: ReplayStore;
  readonly clock: { now(): Date };
  readonly newId: () => string;
  readonly retentionDays: () => number;
  readonly settings: () => DispatchSettings;
}

const locationOf = (replay: Replay): string => `/api/webhooks/${replay.webhookId}/replays/${replay.id}`;

/** `GET .../replays?limit=`: 1-100, default 20. */
export const MAX_REPLAYS_LISTED = 100;
const DEFAULT_REPLAYS_LISTED = 20;

const listLimitOf = (request: HttpRequest): number | HttpResponseInit => {
  const text = request.query.get("limit");
  if (text === null) return DEFAULT_REPLAYS_LISTED;
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 && n <= MAX_REPLAYS_LISTED
    ? n
    : problem(400, "Invalid query", [
        { path: "?limit", message: `must be an integer from 1 to ${MAX_REPLAYS_LISTED}` },
      ]);
};

/**
 * `POST` and `GET /api/webhooks/{id}/replays` (start; list, newest first), `GET` and
 * `DELETE /api/webhooks/{id}/replays/{replayId}`.
 */
export const makeReplaysApi = (deps: ReplaysApiDeps) => {
  /**
   * Failure policy: the record is written first, then the orchestration started (named after the replay, so a
   * retried start finds it). A start that fails marks the record failed: no replay is left "running" with no loop.
   */
  const start = async (request: HttpRequest, starter: OrchestrationStarter): Promise<HttpResponseInit> => {
    const webhookId = request.params.id ?? "";
    const stored = await deps.webhooks.get(webhookId);
    if (stored === undefined) return problem(404, `No webhook with id "${webhookId}"`);
    const body = await readJsonBody(request);
    if (E.isLeft(body)) return body.left;
    const now = deps.clock.now();
    const checked = validateReplayRequest({
      body: body.right,
      webhook: stored.webhook,
      now,
      retentionDays: deps.retentionDays(),
    });
    if (E.isLeft(checked)) return problem(400, "The replay request is not valid", checked.left);
    if (stored.webhook.disabled) return problem(409, "The webhook is disabled; enable it before replaying");
    const replay: Replay = {
      id: `rp_${deps.newId().replace(/^wh_/, "")}`,
      webhookId,
      state: "running",
      ...checked.right,
      counts: NO_COUNTS,
      partitions: {},
      step: 0,
      startedAt: now.toISOString(),
    };
    await deps.replays.create(replay);
    const input: ReplayInput = { webhookId, replayId: replay.id, step: 0, settings: deps.settings() };
    try {
      await starter.startIfAbsent(REPLAY_ORCHESTRATOR, replayInstanceId(replay.id), input);
    } catch (error) {
      await deps.replays.update(webhookId, replay.id, (r) => ({
        ...r,
        state: "failed",
        error: "the replay could not be started",
        finishedAt: deps.clock.now().toISOString(),
      }));
      throw error;
    }
    return json(202, replayView(replay), { location: locationOf(replay) });
  };

  const found = async (request: HttpRequest): Promise<Replay | HttpResponseInit> => {
    const webhookId = request.params.id ?? "";
    const replayId = request.params.replayId ?? "";
    if ((await deps.webhooks.get(webhookId)) === undefined)
      return problem(404, `No webhook with id "${webhookId}"`);
    const replay = await deps.replays.get(webhookId, replayId);
    return replay ?? problem(404, `No replay "${replayId}" for this webhook`);
  };

  const get = async (request: HttpRequest): Promise<HttpResponseInit> => {
    const replay = await found(request);
    return "id" in replay ? json(200, replayView(replay)) : replay;
  };

  const list = async (request: HttpRequest): Promise<HttpResponseInit> => {
    const webhookId = request.params.id ?? "";
    const limit = listLimitOf(request);
    if (typeof limit !== "number") return limit;
    if ((await deps.webhooks.get(webhookId)) === undefined)
      return problem(404, `No webhook with id "${webhookId}"`);
    const replays = await deps.replays.list(webhookId, limit);
    return json(200, { items: replays.map(replayView) });
  };

  /** Marks the replay cancelled; its loop stops at its next step (the page in flight is still delivered). */
  const cancel = async (request: HttpRequest): Promise<HttpResponseInit> => {
    const replay = await found(request);
    if (!("id" in replay)) return replay;
    if (replay.state !== "running") return problem(409, `The replay is already ${replay.state}`);
    const cancelled = await deps.replays.update(replay.webhookId, replay.id, (r) =>
      r.state === "running"
        ? { ...r, state: "cancelled", finishedAt: deps.clock.now().toISOString() }
        : undefined,
    );
    return json(200, replayView(cancelled ?? replay));
  };

  return { start, list, get, cancel };
};
