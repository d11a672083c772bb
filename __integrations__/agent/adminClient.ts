import axios, { type AxiosInstance, type AxiosResponse } from "axios";

/** A webhook registration as the admin API takes it. */
export interface WebhookInput {
  readonly url: string;
  readonly subscriptions: ReadonlyArray<string>;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly disabled?: boolean;
  readonly ordering?: "none" | "per-subject";
  readonly orderingOnFailure?: "continue" | "block";
}

/** A held subject of a per-subject webhook. */
export interface HeldSubject {
  readonly subjectId: string;
  readonly state: "waiting" | "blocked";
  readonly settledSeq: number;
  readonly headDeliveryId?: string;
  readonly headSequence?: number;
  readonly attempts?: number;
}

export interface RegisteredWebhook {
  readonly id: string;
  readonly secret: string;
}

export interface WebhookState {
  readonly id: string;
  readonly disabled: boolean;
  readonly disabledReason?: string;
  readonly previousSecretValidUntil?: string;
}

export interface DeliveryAttempt {
  readonly deliveryId: string;
  readonly attempt: number;
  readonly outcome: string;
  readonly status?: number;
  readonly replayId?: string;
}

export interface DeadLetter {
  readonly deliveryId: string;
  readonly webhookId: string;
  readonly attempts: number;
  readonly reason: string;
  readonly lastStatus?: number;
  readonly deadLetteredAt: string;
}

/** A recovery of a webhook's dead letters, as POST .../recover and GET .../recoveries/{id} answer. */
export interface Recovery {
  readonly id: string;
  readonly state: "running" | "completed" | "failed";
  readonly since: string;
  readonly count: number;
  readonly found: number;
  readonly handedOver: number;
}

const expectStatus = <T>(response: AxiosResponse<T>, expected: number, what: string): T => {
  if (response.status !== expected)
    throw new Error(`${what}: expected HTTP ${expected}, got ${response.status}`);
  return response.data;
};

/**
 * The admin API through axios with the function key. Every call returns the decoded body or throws naming the
 * call and the status (never the body: it may hold secrets); `http` is there for status-code assertions.
 */
export interface ReplayState {
  readonly id: string;
  readonly state: "running" | "completed" | "failed" | "cancelled";
  readonly eventsRead: number;
  readonly deliveries: { planned: number; delivered: number; deadLettered: number };
  readonly partitions: Record<string, { sequenceNumber?: number; finished: boolean }>;
  readonly finishedAt?: string;
}

export interface Problem {
  readonly status: number;
  readonly errors: ReadonlyArray<{ path: string; message: string }>;
}

export const adminClient = (adminUrl: string, adminKey: string) => {
  const http: AxiosInstance = axios.create({
    baseURL: adminUrl,
    headers: { "x-functions-key": adminKey },
    validateStatus: () => true,
    timeout: 10_000,
  });
  return {
    http,
    async register(input: WebhookInput): Promise<RegisteredWebhook> {
      return expectStatus(await http.post<RegisteredWebhook>("/webhooks", input), 201, "register webhook");
    },
    async get(id: string): Promise<WebhookState> {
      return expectStatus(await http.get<WebhookState>(`/webhooks/${id}`), 200, "get webhook");
    },
    /** Deletes; a webhook already gone is fine (cleanup must not fail twice). */
    async remove(id: string): Promise<void> {
      const response = await http.delete(`/webhooks/${id}`);
      if (response.status !== 204 && response.status !== 404)
        throw new Error(`delete webhook: expected HTTP 204 or 404, got ${response.status}`);
    },
    async rotateSecret(id: string): Promise<{ secret: string; previousSecretValidUntil: string }> {
      return expectStatus(
        await http.post<{ secret: string; previousSecretValidUntil: string }>(
          `/webhooks/${id}/rotate-secret`,
        ),
        200,
        "rotate secret",
      );
    },
    async deliveries(id: string): Promise<ReadonlyArray<DeliveryAttempt>> {
      const data = expectStatus(
        await http.get<{ items: DeliveryAttempt[] }>(`/webhooks/${id}/deliveries`, {
          params: { limit: 1000 },
        }),
        200,
        "list deliveries",
      );
      return data.items;
    },
    async ping(id: string): Promise<{ deliveryId: string }> {
      return expectStatus(await http.post<{ deliveryId: string }>(`/webhooks/${id}/ping`), 202, "ping");
    },
    async subjects(webhookId: string, state?: "waiting" | "blocked"): Promise<ReadonlyArray<HeldSubject>> {
      const query = state === undefined ? "" : `?state=${state}`;
      const body = expectStatus(
        await http.get<{ items: HeldSubject[] }>(
          `/webhooks/${encodeURIComponent(webhookId)}/subjects${query}`,
        ),
        200,
        "held subjects",
      );
      return body.items;
    },
    async retryNow(webhookId: string, subjectId: string): Promise<number> {
      const response = await http.post(
        `/webhooks/${encodeURIComponent(webhookId)}/subjects/${encodeURIComponent(subjectId)}/retry-now`,
      );
      return response.status;
    },
    async deadLetters(webhookId: string): Promise<ReadonlyArray<DeadLetter>> {
      const data = expectStatus(
        await http.get<{ items: DeadLetter[] }>("/dead-letters", { params: { webhookId } }),
        200,
        "list dead letters",
      );
      return data.items;
    },
    /** Starts a replay from the Event Hub; the answer's status, body and Location (bad input is asserted on). */
    async startReplay(
      webhookId: string,
      body: unknown,
    ): Promise<{ status: number; body: ReplayState & Problem; location?: string }> {
      const response = await http.post<ReplayState & Problem>(
        `/webhooks/${encodeURIComponent(webhookId)}/replays`,
        body,
      );
      const location = response.headers.location as string | undefined;
      return {
        status: response.status,
        body: response.data,
        ...(location === undefined ? {} : { location }),
      };
    },
    async getReplay(webhookId: string, replayId: string): Promise<ReplayState> {
      return expectStatus(
        await http.get<ReplayState>(
          `/webhooks/${encodeURIComponent(webhookId)}/replays/${encodeURIComponent(replayId)}`,
        ),
        200,
        "get replay",
      );
    },
    async recover(webhookId: string, since: string): Promise<{ recovery: Recovery; location: string }> {
      const response = await http.post<Recovery>(`/webhooks/${encodeURIComponent(webhookId)}/recover`, {
        since,
      });
      const recovery = expectStatus(response, 202, "recover dead letters");
      return { recovery, location: String(response.headers.location) };
    },
    /** A recovery by the Location its start answered with (`/api/...`; the client's base already ends in /api). */
    async recovery(location: string): Promise<Recovery> {
      return expectStatus(await http.get<Recovery>(location.replace(/^\/api/, "")), 200, "get recovery");
    },
    async replay(deliveryId: string): Promise<{ deliveryId: string }> {
      return expectStatus(
        await http.post<{ deliveryId: string }>(`/dead-letters/${encodeURIComponent(deliveryId)}/replay`),
        202,
        "replay dead letter",
      );
    },
  };
};

export type AdminClient = ReturnType<typeof adminClient>;
