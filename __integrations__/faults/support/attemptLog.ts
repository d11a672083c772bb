import { type AdminClient } from "../../agent/adminClient";

/** One attempt as GET /api/webhooks/{id}/deliveries shows it (the agent's type leaves out `error`). */
export interface LoggedAttempt {
  readonly deliveryId: string;
  readonly attempt: number;
  readonly outcome: string;
  readonly status?: number;
  readonly error?: string;
}

export const attemptLog = async (
  admin: AdminClient,
  webhookId: string,
): Promise<ReadonlyArray<LoggedAttempt>> => {
  const response = await admin.http.get<{ items: LoggedAttempt[] }>(`/webhooks/${webhookId}/deliveries`, {
    params: { limit: 1000 },
  });
  if (response.status !== 200) throw new Error(`list deliveries: HTTP ${response.status}`);
  return response.data.items;
};

/** Attempts grouped by delivery id, each group in attempt order. */
export const attemptsByDelivery = (log: ReadonlyArray<LoggedAttempt>): Map<string, LoggedAttempt[]> => {
  const map = new Map<string, LoggedAttempt[]>();
  for (const a of log) map.set(a.deliveryId, [...(map.get(a.deliveryId) ?? []), a]);
  for (const list of map.values()) list.sort((x, y) => x.attempt - y.attempt);
  return map;
};

/** Distinct delivery ids with at least one attempt that failed with `error`. */
export const deliveriesFailedWith = (log: ReadonlyArray<LoggedAttempt>, error: string): number =>
  new Set(log.filter((a) => a.error === error).map((a) => a.deliveryId)).size;
