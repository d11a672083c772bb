import * as E from "fp-ts/Either";
import type * as t from "io-ts";

import { type RejectedEvent, type RejectedEventsStore } from "../../adapters/tables/rejectedEvents";
import { type Telemetry } from "../../adapters/telemetry/telemetry";
import {
  type DispatchInput,
  type DispatchSettings,
  type PlanInput,
  type PlanResult,
  restOf,
} from "../../domain/dispatch";
import {
  INCOMING_EVENT_NAMES,
  type IncomingEvent,
  PingAllEvent,
  PingEvent,
  ProfileCompletedEvent,
  ProfileServicePreferencesChangedEvent,
  ServiceSubscribedEvent,
} from "../../domain/events";
import { fieldErrorsOf } from "../../domain/fieldErrors";
import { type Sequence } from "../../domain/ordering";
import { DISPATCH_ORCHESTRATOR } from "../dispatch/dispatchOrchestrator";
import { type OrchestrationStarter } from "../dispatch/orchestrationStarter";
import { type BatchContinuity } from "./continuity";

/** Where each event of a batch sits in the hub, from the trigger's metadata. */
export interface BatchPosition {
  readonly hub: string;
  readonly partitionId: string;
  readonly events: ReadonlyArray<{ sequenceNumber: number; enqueuedTime?: string; messageId?: string }>;
}

const CODEC_BY_NAME: Readonly<Record<IncomingEvent["name"], t.Decoder<unknown, IncomingEvent>>> = {
  ping: PingEvent,
  "service:subscribed": ServiceSubscribedEvent,
  "ping:all": PingAllEvent,
  "profile:completed": ProfileCompletedEvent,
  "profile:service-preferences-changed": ProfileServicePreferencesChangedEvent,
};

/** The body as text (for the rejected-events record) and as parsed JSON when it is JSON. */
const readBody = (body: unknown): { raw: string; json: E.Either<string, unknown> } => {
  if (typeof body === "string" || body instanceof Uint8Array) {
    const raw = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
    return {
      raw,
      json: E.tryCatch(
        () => JSON.parse(raw) as unknown,
        () => "the body is not valid JSON",
      ),
    };
  }
  // The Functions host hands over JSON bodies already parsed.
  return { raw: rawTextOf(body), json: E.right(body) };
};

/** Never throws: a body nested too deeply to serialise is recorded as such rather than taking the batch down. */
const rawTextOf = (body: unknown): string => {
  try {
    return JSON.stringify(body) ?? String(body);
  } catch (error) {
    return `(the body could not be serialised: ${error instanceof Error ? error.name : "error"})`;
  }
};

/** Decodes one event, with reasons as codec paths (the catalogue entry for its name, so paths are precise). */
export const decodeEvent = (body: unknown): E.Either<ReadonlyArray<string>, IncomingEvent> => {
  const { json } = readBody(body);
  if (E.isLeft(json)) return E.left([json.left]);
  const value = json.right;
  const name = typeof value === "object" && value !== null ? (value as { name?: unknown }).name : undefined;
  // Own keys only: an event named "constructor" or "__proto__" must not find Object.prototype's members.
  const codec =
    typeof name === "string" && Object.prototype.hasOwnProperty.call(CODEC_BY_NAME, name)
      ? CODEC_BY_NAME[name as IncomingEvent["name"]]
      : undefined;
  if (codec === undefined) {
    return E.left([`/name: must be one of ${INCOMING_EVENT_NAMES.join(", ")}`]);
  }
  const decoded = codec.decode(value);
  return E.isLeft(decoded)
    ? E.left(fieldErrorsOf(decoded.left).map((e) => `${e.path}: ${e.message}`))
    : decoded;
};

/**
 * Failure policy: whatever one event's body does to the decoder (stack overflow on deep nesting, a getter that
 * throws), it is that event's rejection, never an exception that makes the host redeliver the whole batch
 * forever and block its partition.
 */
const decodeSafely = (body: unknown): E.Either<ReadonlyArray<string>, IncomingEvent> => {
  try {
    return decodeEvent(body);
  } catch (error) {
    return E.left([`the event could not be read (${error instanceof Error ? error.name : "error"})`]);
  }
};

/** Deterministic per batch: a redelivered batch maps to the same instance and starts nothing new. */
export const batchInstanceId = (position: BatchPosition): string => {
  const numbers = position.events.map((e) => e.sequenceNumber);
  return `dispatch:${position.hub}:${position.partitionId}:${Math.min(...numbers)}-${Math.max(...numbers)}`;
};

const rawOf = (body: unknown): string => {
  try {
    return readBody(body).raw;
  } catch {
    return "(the body could not be read)";
  }
};

export interface IngestResult {
  readonly accepted: number;
  readonly rejected: number;
  readonly instanceId?: string;
  readonly started: boolean;
  /** Deliveries the ingest's first round settled (delivered, or dropped for a webhook gone meanwhile). */
  readonly settled?: number;
}

export interface IngestDeps {
  readonly rejected: RejectedEventsStore;
  readonly settings: () => DispatchSettings;
  /** Numbers the deliveries to per-subject webhooks (see numbering.ts); absent: nothing is ordered. */
  readonly number?: (
    partitionId: string,
    events: ReadonlyArray<{ eventId: string; event: IncomingEvent; sequenceNumber: number }>,
  ) => Promise<Record<string, Sequence> | undefined>;
  /** Counts the batch and gives the trace context the orchestration carries (no-op when telemetry is off). */
  readonly telemetry?: Pick<Telemetry, "batchIngested" | "carrier" | "withEnqueued">;
  /**
   * The first round: plans the batch and, when the plan has at most `deliverUpTo` deliveries, makes every
   * delivery's first attempt (the plan activity's own function, dispatchActivities.ts). Absent: the
   * orchestration does it.
   */
  readonly firstRound?: (input: PlanInput) => Promise<PlanResult>;
  /** The largest plan the first round sends (INGEST_FIRST_ROUND_MAX; default one chunk), in chunks at once. */
  readonly firstRoundUpTo?: number;
  /** This process's last batch per partition (continuity.ts): a batch that follows it skips the exists check. */
  readonly continuity?: BatchContinuity;
  /** A monotonic clock in ms for `continuity` (default performance.now). */
  readonly nowMs?: () => number;
}

/**
 * The Event Hub trigger's work for one batch. Failure policy: an invalid event (bad JSON, unknown name, wrong
 * payload) is recorded in RejectedEvents and skipped; the rest of the batch goes on. Nothing here throws for
 * bad data: a throw makes the host redeliver the whole batch. Storage failures do throw, so the batch comes
 * again rather than being lost.
 */
export const makeIngest =
  (deps: IngestDeps) =>
  async (
    bodies: ReadonlyArray<unknown>,
    position: BatchPosition,
    starter: OrchestrationStarter,
  ): Promise<IngestResult> => {
    const numbers = position.events.map((e) => e.sequenceNumber);
    const partition = `${position.hub}/${position.partitionId}`;
    const nowMs = deps.nowMs ?? (() => performance.now());
    const follows = deps.continuity?.begin(partition, Math.min(...numbers), nowMs()) === true;
    const accepted: Array<{ eventId: string; event: IncomingEvent }> = [];
    const positions: number[] = [];
    const rejected: RejectedEvent[] = [];
    const enqueuedTimes: Record<string, string> = {};
    bodies.forEach((body, i) => {
      const where = position.events[i] ?? { sequenceNumber: -1 };
      const decoded = decodeSafely(body);
      if (E.isRight(decoded)) {
        const eventId = where.messageId ?? `${position.partitionId}:${where.sequenceNumber}`;
        accepted.push({ eventId, event: decoded.right });
        if (where.enqueuedTime !== undefined) enqueuedTimes[eventId] = where.enqueuedTime;
        positions.push(where.sequenceNumber);
      } else {
        rejected.push({
          hub: position.hub,
          partitionId: position.partitionId,
          sequenceNumber: where.sequenceNumber,
          ...(where.enqueuedTime === undefined ? {} : { enqueuedTime: where.enqueuedTime }),
          reasons: decoded.left,
          raw: rawOf(body),
        });
      }
    });
    await deps.rejected.record(rejected);
    deps.telemetry?.batchIngested(
      position.partitionId,
      bodies.length,
      rejected.map((r) => r.reasons),
    );
    if (accepted.length === 0) {
      deps.continuity?.done(partition, Math.max(...numbers), nowMs());
      return { accepted: 0, rejected: rejected.length, started: false };
    }
    const instanceId = batchInstanceId(position);
    // Failure policy: numbering fails on storage like the rest: the batch comes again and gets the same numbers.
    const sequences = await deps.number?.(
      position.partitionId,
      accepted.map((a, i) => ({ ...a, sequenceNumber: positions[i] ?? -1 })),
    );
    const settings = deps.settings();
    const trace = deps.telemetry?.carrier(enqueuedTimes);
    const events: DispatchInput = {
      kind: "events",
      events: accepted,
      settings,
      ...(sequences === undefined ? {} : { sequences }),
      ...(trace === undefined ? {} : { trace }),
    };
    const finish = (result: Omit<IngestResult, "accepted" | "rejected" | "instanceId">): IngestResult => {
      deps.continuity?.done(partition, Math.max(...numbers), nowMs());
      return { accepted: accepted.length, rejected: rejected.length, instanceId, ...result };
    };
    const { firstRound } = deps;
    if (
      firstRound === undefined ||
      settings.retrySchedule[0] !== 0 ||
      starter.exists === undefined ||
      starter.startNew === undefined
    ) {
      let started: boolean;
      if (follows && starter.startNew !== undefined) {
        await starter.startNew(DISPATCH_ORCHESTRATOR, instanceId, events);
        started = true;
      } else {
        started = (await starter.startIfAbsent(DISPATCH_ORCHESTRATOR, instanceId, events)) === "started";
      }
      return finish({ started });
    }
    // First round here: a batch the hub delivers again finds the orchestration its first delivery left (failures
    // to retry) and sends nothing; one whose first round settled everything left no instance and is sent again
    // (at least once, same webhook-ids; README "What the ingest sends itself").
    if (!follows && (await starter.exists(instanceId))) return finish({ started: false });
    const plan = await (deps.telemetry?.withEnqueued ?? ((_e, run) => run()))(enqueuedTimes, () =>
      firstRound({
        events: accepted,
        deliverUpTo: deps.firstRoundUpTo ?? settings.chunkSize,
        chunkSize: settings.chunkSize,
        ...(sequences === undefined ? {} : { sequences }),
        instanceId,
        retrySchedule: settings.retrySchedule,
      }),
    );
    if (plan.reports === undefined && plan.deliveries.length > 0) {
      // Too big for the first round here: the orchestration plans it again and fans it out.
      await starter.startNew(DISPATCH_ORCHESTRATOR, instanceId, events);
      return finish({ started: true });
    }
    const rest = restOf(plan.deliveries, plan.reports ?? []);
    if (rest === undefined) return finish({ started: false, settled: plan.deliveries.length });
    const input: DispatchInput = {
      kind: "rest",
      deliveries: rest.deliveries,
      reports: rest.reports as unknown as Array<Record<string, unknown>>,
      counted: rest.counted,
      settings,
      ...(trace === undefined ? {} : { trace }),
    };
    await starter.startNew(DISPATCH_ORCHESTRATOR, instanceId, input);
    return finish({ started: true, settled: rest.counted.delivered + rest.counted.dropped });
  };
