import { type HttpResponseInit } from "@azure/functions";
import * as t from "io-ts";

import { type StorageCheck, type StorageProbe } from "../../adapters/tables/storageProbe";
import { json } from "../http/problem";

/** `GET /api/health`: `degraded` with a reason (a kind, never a value) while storage cannot be read. */
export const Health = t.intersection(
  [
    t.type({
      status: t.keyof({ ok: null, degraded: null }),
      version: t.string,
      checks: t.type({ storage: t.keyof({ ok: null, unreachable: null }) }),
    }),
    t.partial({ reason: t.string }),
  ],
  "Health",
);
export type Health = t.TypeOf<typeof Health>;

export interface HealthDeps {
  readonly probe: StorageProbe;
  readonly clock: { now(): Date };
  readonly version: string;
  /** How long one probe's answer is served before storage is read again. */
  readonly cacheMs: number;
}

export const healthOf = (version: string, storage: StorageCheck): Health =>
  storage.kind === "ok"
    ? { status: "ok", version, checks: { storage: "ok" } }
    : {
        status: "degraded",
        version,
        checks: { storage: "unreachable" },
        reason: `storage unreachable: ${storage.error}`,
      };

/**
 * Failure policy: at most one probe per `cacheMs` whatever the request rate (requests meanwhile share the last
 * answer, or the probe in flight), so the anonymous route cannot be used to load storage. `degraded` is a 200:
 * the instance is alive and catches up once storage is back; restarting it or taking it out of rotation would
 * not help.
 */
export const makeHealthCheck = (deps: HealthDeps): (() => Promise<HttpResponseInit>) => {
  let last: { at: number; answer: Promise<Health> } | undefined;
  return async () => {
    const now = deps.clock.now().getTime();
    if (last === undefined || now - last.at >= deps.cacheMs) {
      last = { at: now, answer: deps.probe().then((check) => healthOf(deps.version, check)) };
    }
    return json(200, await last.answer);
  };
};
