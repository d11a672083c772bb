/**
 * Exact work counters of a running host (LOCAL_HOST_COUNTERS=true): what a deployment would pay for, counted where
 * it happens, not sampled. Process-wide: the storage proxy (storageCounting.ts), the durable runtime and the Event
 * Hub consumers add to the same set; `GET /runtime/counters` on the HTTP port serves a snapshot. Off by default,
 * when every `count` is a no-op.
 *
 * Names are `<area>.<what>`; storage requests also carry their table or area (`table.write[WebhooksLog]`,
 * `blob.setMetadata[checkpoint]`). README (Work counters) lists them.
 */
const values = new Map<string, number>();
let enabled = false;

export const enableCounters = (): void => {
  enabled = true;
};

export const countersEnabled = (): boolean => enabled;

export const count = (name: string, by = 1): void => {
  if (!enabled) return;
  values.set(name, (values.get(name) ?? 0) + by);
};

/** Every counter so far, names sorted. */
export const counterSnapshot = (): Record<string, number> =>
  Object.fromEntries([...values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** For tests: forget every value (the counters stay enabled if they were). */
export const resetCounters = (): void => {
  values.clear();
};

/** LOCAL_HOST_COUNTERS: "true" or "1" turns the counters on; anything else but unset/empty/"false"/"0" is refused. */
export const countersSetting = (env: NodeJS.ProcessEnv): boolean => {
  const text = (env.LOCAL_HOST_COUNTERS ?? "").trim().toLowerCase();
  if (text === "" || text === "false" || text === "0") return false;
  if (text === "true" || text === "1") return true;
  throw new Error("LOCAL_HOST_COUNTERS must be true or false");
};
