import { type HttpRequest, type HttpResponseInit } from "@azure/functions";

import { type DeadLetterStore } from "../../adapters/tables/deadLetters";
import { type SubjectStreams } from "../../adapters/tables/subjectStreams";
import { type WebhookStore } from "../../adapters/tables/webhookStore";
import { type SubjectHead, type SubjectProgress } from "../../domain/ordering";
import { SUBJECT_ACTION_EVENT, type SubjectAction } from "../dispatch/dispatchOrchestrator";
import { json, problem } from "../http/problem";

/** How operator actions reach the orchestration that holds a subject's head (a port over the durable client). */
export interface OrchestrationSignaller {
  /** false: no such instance running any more. */
  readonly raise: (instanceId: string, eventName: string, data: unknown) => Promise<boolean>;
}

export interface SubjectsApiDeps {
  readonly webhooks: Pick<WebhookStore, "get">;
  readonly streams: Pick<SubjectStreams, "held" | "get" | "apply">;
  readonly deadLetters: Pick<DeadLetterStore, "get">;
  /** Re-sends a dead letter as the dead-letter replay route does (start, then remove). */
  readonly replay: (deliveryId: string) => Promise<HttpResponseInit>;
}

type Found<A> = { readonly found: A } | { readonly problem: HttpResponseInit };

/** A held subject as operators see it: the opaque subject id, never the subject itself. */
export interface HeldSubjectView {
  readonly subjectId: string;
  readonly state: SubjectProgress["state"];
  readonly settledSeq: number;
  readonly headDeliveryId?: string;
  readonly headSequence?: number;
  readonly attempts?: number;
  readonly nextAttemptAt?: string;
  readonly since?: string;
  readonly lastStatus?: number;
  readonly lastError?: string;
}

const view = (subjectId: string, progress: SubjectProgress): HeldSubjectView => {
  const head = progress.head;
  return {
    subjectId,
    state: progress.state,
    settledSeq: progress.settledSeq,
    ...(head === undefined
      ? {}
      : {
          headDeliveryId: head.deliveryId,
          headSequence: head.n,
          attempts: head.attempts,
          since: head.since,
          ...(head.nextAttemptAt === undefined || progress.state === "blocked"
            ? {}
            : { nextAttemptAt: head.nextAttemptAt }),
          ...(head.lastStatus === undefined ? {} : { lastStatus: head.lastStatus }),
          ...(head.lastError === undefined ? {} : { lastError: head.lastError }),
        }),
  };
};

/** Held subjects of a per-subject webhook, and the operator's two actions on one: skip and retry-now. */
export const makeSubjectsApi = (deps: SubjectsApiDeps) => {
  const webhookOrProblem = async (request: HttpRequest): Promise<Found<{ webhookId: string }>> => {
    const id = request.params.id ?? "";
    const stored = await deps.webhooks.get(id);
    return stored === undefined
      ? { problem: problem(404, `No webhook with id "${id}"`) }
      : { found: { webhookId: stored.webhook.id } };
  };

  const list = async (request: HttpRequest): Promise<HttpResponseInit> => {
    const stored = await webhookOrProblem(request);
    if ("problem" in stored) return stored.problem;
    const state = request.query.get("state") ?? undefined;
    if (state !== undefined && state !== "waiting" && state !== "blocked") {
      return problem(400, "Invalid query", [{ path: "?state", message: "must be waiting or blocked" }]);
    }
    const held = await deps.streams.held(stored.found.webhookId, state);
    return json(200, { items: held.map((h) => view(h.subjectId, h.progress)) });
  };

  /** The held head of a subject, or the problem that says why there is none. */
  const heldHead = async (
    request: HttpRequest,
  ): Promise<
    Found<{ webhookId: string; subjectId: string; progress: SubjectProgress; head: SubjectHead }>
  > => {
    const stored = await webhookOrProblem(request);
    if ("problem" in stored) return stored;
    const { webhookId } = stored.found;
    const subjectId = request.params.subjectId ?? "";
    const progress = await deps.streams.get(webhookId, subjectId);
    if (progress === undefined)
      return { problem: problem(404, `No subject "${subjectId}" for this webhook`) };
    if (progress.state === "flowing" || progress.head === undefined)
      return { problem: problem(409, "Nothing is held for this subject") };
    return { found: { webhookId, subjectId, progress, head: progress.head } };
  };

  const act =
    (action: SubjectAction["action"]) =>
    async (request: HttpRequest, signaller: OrchestrationSignaller): Promise<HttpResponseInit> => {
      const held = await heldHead(request);
      if ("problem" in held) return held.problem;
      const { webhookId, subjectId, progress, head } = held.found;
      if (progress.state === "waiting") {
        // The orchestration holding the head acts on it: it is the only one that may send or dead-letter it.
        const signal: SubjectAction = { action, deliveryId: head.deliveryId };
        const raised =
          head.holder !== undefined && (await signaller.raise(head.holder, SUBJECT_ACTION_EVENT, signal));
        if (!raised)
          return problem(
            409,
            "The orchestration holding this subject is no longer running; try again shortly",
          );
        return json(202, { subjectId, deliveryId: head.deliveryId, action });
      }
      // Blocked: the head is a dead letter already.
      if (action === "skip") {
        const after = await deps.streams.apply([
          { webhookId, subjectId, event: { kind: "skipped", n: head.n, deliveryId: head.deliveryId } },
        ]);
        const progressAfter = [...after.values()][0] ?? progress;
        return json(200, view(subjectId, progressAfter));
      }
      if ((await deps.deadLetters.get(head.deliveryId)) === undefined)
        return problem(
          409,
          "The blocked delivery's dead letter is gone (replayed or deleted); skip it instead",
        );
      return deps.replay(head.deliveryId);
    };

  return { list, skip: act("skip"), retryNow: act("retry-now") };
};
