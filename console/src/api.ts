/** The admin API on the same origin, with the function key in the x-functions-key header. */

export interface LastAttempt {
  at: string;
  status?: number;
  error?: string;
}
export interface Counts {
  deliveries: number;
  failures: number;
  successRate?: number;
}
export interface WebhookHealth {
  webhookId: string;
  state: "active" | "disabled";
  disabledReason?: string;
  stateChangedAt?: string;
  lastHour: Counts;
  last24Hours: Counts;
  consecutiveFailures: number;
  lastSuccess?: LastAttempt;
  lastFailure?: LastAttempt;
  failingSince?: string;
  autoDisableAt?: string;
  updatedAt?: string;
  /** Per-subject webhooks only. */
  heldSubjects?: { waiting: number; blocked: number };
}
export type EventName = "ping" | "service:subscribed";
export const EVENT_NAMES: ReadonlyArray<EventName> = ["ping", "service:subscribed"];
export type Ordering = "none" | "per-subject";
export type OrderingOnFailure = "continue" | "block";
export interface WebhookInput {
  url: string;
  subscriptions: EventName[];
  attributes: Record<string, string>;
  headers: Record<string, string>;
  disabled: boolean;
  ordering: Ordering;
  orderingOnFailure: OrderingOnFailure;
}
export interface Webhook extends WebhookInput {
  id: string;
  disabledReason?: string;
  stateChangedAt?: string;
  createdAt: string;
  updatedAt: string;
  previousSecretValidUntil?: string;
  health?: WebhookHealth;
}
export interface DeliveryAttempt {
  webhookId?: string;
  deliveryId: string;
  eventName: string;
  attempt: number;
  outcome: "delivered" | "retryable" | "permanent";
  status?: number;
  error?: string;
  /** The start of a failing receiver's answer, exactly as it wrote it: shown as text only. */
  answer?: string;
  latencyMs: number;
  at: string;
}
export interface DeadLetter {
  deliveryId: string;
  webhookId: string;
  eventId: string;
  subject?: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  attempts: number;
  reason: string;
  lastStatus?: number;
  lastError?: string;
  firstAttemptAt: string;
  deadLetteredAt: string;
}
export interface RejectedEvent {
  hub: string;
  partitionId: string;
  sequenceNumber: number;
  enqueuedTime?: string;
  reasons: string[];
  raw?: string;
}
/** A held subject's state: its head waits on its retry schedule, or ran out of retries under "block". */
export type HeldState = "waiting" | "blocked";
export const HELD_STATES: ReadonlyArray<HeldState> = ["waiting", "blocked"];
/** A held subject of a per-subject webhook (subjectsApi's view): the opaque subject id, never the subject. */
export interface HeldSubject {
  subjectId: string;
  state: HeldState;
  settledSeq: number;
  headDeliveryId?: string;
  headSequence?: number;
  attempts?: number;
  nextAttemptAt?: string;
  since?: string;
  lastStatus?: number;
  lastError?: string;
}
export type SubjectAction = "skip" | "retry-now";
/** A recovery of a webhook's dead letters since a time (the API's Recovery). */
export interface Recovery {
  id: string;
  webhookId: string;
  state: "running" | "completed" | "failed";
  since: string;
  startedAt: string;
  count: number;
  found: number;
  handedOver: number;
  updatedAt: string;
  finishedAt?: string;
  reason?: string;
}
export type ReplayState = "running" | "completed" | "failed" | "cancelled";
/** Where one partition's replay stands: the last sequence number handed over, and whether it reached `to`. */
export interface PartitionPosition {
  finished: boolean;
  sequenceNumber?: number;
}
/** A replay of a webhook's events from the Event Hub (the API's Replay, src/domain/replay.ts ReplayView). */
export interface Replay {
  id: string;
  webhookId: string;
  state: ReplayState;
  from: string;
  to: string;
  events: string[];
  rate: number;
  eventsRead: number;
  deliveries: { planned: number; delivered: number; retried: number; deadLettered: number; dropped: number };
  /** Per partition id; empty until the replay's first step lists the hub's partitions. */
  partitions: Record<string, PartitionPosition>;
  startedAt: string;
  finishedAt?: string;
  error?: string;
}
/** The body of a replay's start: `to` defaults to now, `events` to the webhook's subscriptions, `rate` to 200/s. */
export interface ReplayRequest {
  from: string;
  to?: string;
  events?: EventName[];
  rate?: number;
}
export interface Problem {
  title?: string;
  detail?: string;
  status?: number;
  errors?: Array<{ path: string; message: string }>;
}

/** A request the API refused: the status and its problem+json (which never echoes what was sent). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(ApiError.describe(status, problem));
  }

  static describe(status: number, problem: Problem): string {
    if (status === 401 || status === 403)
      return "The function key was not accepted. Sign out and try another key.";
    const fields = (problem.errors ?? []).map((e) => `${e.path}: ${e.message}`).join("; ");
    return [problem.title ?? `HTTP ${status}`, problem.detail, fields].filter((s) => s).join(" — ");
  }
}

const BASE = "/api";

export interface Api {
  listWebhooks(): Promise<Webhook[]>;
  getWebhook(id: string, reveal?: boolean): Promise<{ webhook: Webhook; etag: string }>;
  replaceWebhook(id: string, input: WebhookInput, etag: string): Promise<Webhook>;
  rotateSecret(id: string): Promise<{ secret: string; previousSecretValidUntil: string }>;
  ping(id: string): Promise<{ deliveryId: string }>;
  health(id: string): Promise<WebhookHealth>;
  deliveries(id: string, limit: number): Promise<DeliveryAttempt[]>;
  deadLetters(webhookId?: string): Promise<DeadLetter[]>;
  replay(deliveryId: string): Promise<void>;
  deleteDeadLetter(deliveryId: string): Promise<void>;
  /** Starts re-delivering the webhook's dead letters since `since` (ISO); the answer counts them. */
  recover(webhookId: string, since: string): Promise<Recovery>;
  recovery(webhookId: string, recoveryId: string): Promise<Recovery>;
  rejected(options: { partitionId?: string; reveal?: boolean }): Promise<RejectedEvent[]>;
  heldSubjects(webhookId: string, state?: HeldState): Promise<HeldSubject[]>;
  /** The HTTP status of the accepted action: 202 (signalled to the holder or replayed) or 200 (done). */
  actOnSubject(webhookId: string, subjectId: string, action: SubjectAction): Promise<number>;
  /** The webhook's replays from the Event Hub, newest first. */
  replays(webhookId: string): Promise<Replay[]>;
  startReplay(webhookId: string, request: ReplayRequest): Promise<Replay>;
  getReplay(webhookId: string, replayId: string): Promise<Replay>;
  /** Marks a running replay cancelled (its loop stops at its next step); the answer is the replay. */
  cancelReplay(webhookId: string, replayId: string): Promise<Replay>;
}

export const makeApi = (key: string): Api => {
  const call = async <T>(
    method: string,
    path: string,
    init: { body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const response = await fetch(`${BASE}${path}`, {
      method,
      headers: {
        "x-functions-key": key,
        accept: "application/json",
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      credentials: "omit",
      cache: "no-store",
    });
    const text = await response.text();
    const data: unknown = text === "" ? undefined : JSON.parse(text);
    if (!response.ok) throw new ApiError(response.status, data ?? {});
    return { data: data as T, etag: response.headers.get("etag") ?? "", status: response.status };
  };
  const q = (params: Record<string, string | undefined>): string => {
    const entries = Object.entries(params).filter(
      (e): e is [string, string] => e[1] !== undefined && e[1] !== "",
    );
    return entries.length === 0 ? "" : `?${new URLSearchParams(entries).toString()}`;
  };
  const id = encodeURIComponent;
  return {
    listWebhooks: async () =>
      (await call<{ items: Webhook[] }>("GET", "/webhooks?include=health")).data.items,
    getWebhook: async (webhookId, reveal = false) => {
      const { data, etag } = await call<Webhook>(
        "GET",
        `/webhooks/${id(webhookId)}${reveal ? "?reveal=headers" : ""}`,
      );
      return { webhook: data, etag };
    },
    replaceWebhook: async (webhookId, input, etag) =>
      (
        await call<Webhook>("PUT", `/webhooks/${id(webhookId)}`, {
          body: input,
          headers: { "if-match": etag },
        })
      ).data,
    rotateSecret: async (webhookId) =>
      (
        await call<{ secret: string; previousSecretValidUntil: string }>(
          "POST",
          `/webhooks/${id(webhookId)}/rotate-secret`,
        )
      ).data,
    ping: async (webhookId) =>
      (await call<{ deliveryId: string }>("POST", `/webhooks/${id(webhookId)}/ping`)).data,
    health: async (webhookId) => (await call<WebhookHealth>("GET", `/webhooks/${id(webhookId)}/health`)).data,
    deliveries: async (webhookId, limit) =>
      (
        await call<{ items: DeliveryAttempt[] }>(
          "GET",
          `/webhooks/${id(webhookId)}/deliveries${q({ limit: String(limit) })}`,
        )
      ).data.items,
    deadLetters: async (webhookId) =>
      (await call<{ items: DeadLetter[] }>("GET", `/dead-letters${q({ webhookId, limit: "1000" })}`)).data
        .items,
    replay: async (deliveryId) => {
      await call("POST", `/dead-letters/${id(deliveryId)}/replay`);
    },
    deleteDeadLetter: async (deliveryId) => {
      await call("DELETE", `/dead-letters/${id(deliveryId)}`);
    },
    recover: async (webhookId, since) =>
      (await call<Recovery>("POST", `/webhooks/${id(webhookId)}/recover`, { body: { since } })).data,
    recovery: async (webhookId, recoveryId) =>
      (await call<Recovery>("GET", `/webhooks/${id(webhookId)}/recoveries/${id(recoveryId)}`)).data,
    rejected: async ({ partitionId, reveal }) =>
      (
        await call<{ items: RejectedEvent[] }>(
          "GET",
          `/rejected-events${q({ partitionId, limit: "200", reveal: reveal === true ? "raw" : undefined })}`,
        )
      ).data.items,
    heldSubjects: async (webhookId, state) =>
      (await call<{ items: HeldSubject[] }>("GET", `/webhooks/${id(webhookId)}/subjects${q({ state })}`)).data
        .items,
    actOnSubject: async (webhookId, subjectId, action) =>
      (await call("POST", `/webhooks/${id(webhookId)}/subjects/${id(subjectId)}/${action}`)).status,
    replays: async (webhookId) =>
      (await call<{ items: Replay[] }>("GET", `/webhooks/${id(webhookId)}/replays${q({ limit: "50" })}`)).data
        .items,
    startReplay: async (webhookId, request) =>
      (await call<Replay>("POST", `/webhooks/${id(webhookId)}/replays`, { body: request })).data,
    getReplay: async (webhookId, replayId) =>
      (await call<Replay>("GET", `/webhooks/${id(webhookId)}/replays/${id(replayId)}`)).data,
    cancelReplay: async (webhookId, replayId) =>
      (await call<Replay>("DELETE", `/webhooks/${id(webhookId)}/replays/${id(replayId)}`)).data,
  };
};
