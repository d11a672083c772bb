import { type OrchestrationContext, type OrchestrationHandler, type Task } from "durable-functions";

import { type OrchestrationSpans } from "./otelTelemetry";
import { type Telemetry, type TraceCarrier } from "./telemetry";
import { orchestrationSpanId, parseTraceparent } from "./traceContext";

/**
 * One trace per event through the durable orchestration, with no change to the orchestrator's own code:
 *
 * - the orchestration input carries the ingest span's traceparent and the events' enqueued times (`trace`, see
 *   DispatchInput); it is part of the history, so every replay in every process sees the same one;
 * - the orchestration's span gets an id derived from the trace and the instance id (traceContext.ts), the same in
 *   every replay; it is exported once, when the orchestration ends outside replay, spanning from its start;
 * - each activity call's input is wrapped in an envelope with that span as parent (and the enqueued times of the
 *   events the input is about); the activity wrapper unwraps it and runs the activity in a child span, and its
 *   POSTs (undici's spans) are children of that.
 *
 * Inputs scheduled before telemetry was on (or with it off) are not wrapped and reach the activity unchanged;
 * the activity wrapper unwraps whatever was wrapped even when telemetry is off now.
 */

const ENVELOPE = "__dispatcherTrace";

interface Envelope {
  readonly [ENVELOPE]: { readonly traceparent: string; readonly enqueued?: Readonly<Record<string, string>> };
  readonly input: unknown;
}

const isEnvelope = (value: unknown): value is Envelope =>
  typeof value === "object" && value !== null && ENVELOPE in value && "input" in value;

type Spans = Telemetry & Partial<OrchestrationSpans>;
type WithSpans = Telemetry & OrchestrationSpans;

const hasSpans = (telemetry: Spans): telemetry is WithSpans =>
  telemetry.enabled && telemetry.activity !== undefined && telemetry.orchestrationEnded !== undefined;

/** The carrier in an orchestration input, if there is a valid one. */
const carrierOf = (input: unknown): TraceCarrier | undefined => {
  const trace =
    typeof input === "object" && input !== null ? (input as { trace?: unknown }).trace : undefined;
  if (typeof trace !== "object" || trace === null) return undefined;
  const { traceparent, enqueued } = trace as { traceparent?: unknown; enqueued?: unknown };
  if (parseTraceparent(traceparent) === undefined) return undefined;
  return {
    traceparent: traceparent as string,
    ...(typeof enqueued === "object" && enqueued !== null
      ? { enqueued: enqueued as Record<string, string> }
      : {}),
  };
};

/** The event ids an activity input is about: a plan's events, or a chunk's (or dead letters') deliveries. */
const eventIdsOf = (input: unknown): ReadonlyArray<string> => {
  const items: ReadonlyArray<unknown> = Array.isArray(input)
    ? input
    : typeof input === "object" && input !== null && Array.isArray((input as { events?: unknown }).events)
      ? ((input as { events: unknown[] }).events ?? [])
      : [];
  return items.flatMap((item) => {
    if (typeof item !== "object" || item === null) return [];
    const record = item as {
      eventId?: unknown;
      delivery?: { eventId?: unknown };
      pending?: { delivery?: { eventId?: unknown } };
    };
    const id = record.eventId ?? record.delivery?.eventId ?? record.pending?.delivery?.eventId;
    return typeof id === "string" ? [id] : [];
  });
};

const enqueuedFor = (
  all: Readonly<Record<string, string>> | undefined,
  input: unknown,
): Readonly<Record<string, string>> | undefined => {
  if (all === undefined) return undefined;
  const picked: Record<string, string> = {};
  for (const id of eventIdsOf(input)) if (all[id] !== undefined) picked[id] = all[id];
  return Object.keys(picked).length === 0 ? undefined : picked;
};

/** The orchestrator, traced. `telemetry` is read per run (the process's, set up by startup.ts). */
export const tracedOrchestrator =
  (inner: OrchestrationHandler, telemetry: () => Spans): OrchestrationHandler =>
  (context: OrchestrationContext) => {
    const tel = telemetry();
    const carrier = carrierOf(context.df.getInput());
    const parent = parseTraceparent(carrier?.traceparent);
    if (!hasSpans(tel) || carrier === undefined || parent === undefined) return inner(context);
    return run(inner, context, tel, carrier, parent);
  };

function* run(
  inner: OrchestrationHandler,
  context: OrchestrationContext,
  tel: WithSpans,
  carrier: TraceCarrier,
  parent: NonNullable<ReturnType<typeof parseTraceparent>>,
): Generator<Task, unknown, unknown> {
  const df = context.df;
  const spanId = orchestrationSpanId(parent.traceId, df.instanceId);
  const traceparent = `00-${parent.traceId}-${spanId}-0${parent.traceFlags & 1}`;
  const wrap = (input: unknown): Envelope => {
    const enqueued = enqueuedFor(carrier.enqueued, input);
    return { [ENVELOPE]: { traceparent, ...(enqueued === undefined ? {} : { enqueued }) }, input };
  };
  const callActivity = df.callActivity.bind(df);
  const callActivityWithRetry = df.callActivityWithRetry.bind(df);
  df.callActivity = (name, input) => callActivity(name, wrap(input));
  df.callActivityWithRetry = (name, retryOptions, input) =>
    callActivityWithRetry(name, retryOptions, wrap(input));
  // Replay-safe: the first episode's time, the same in every replay.
  const startedAt = df.currentUtcDateTime;
  const end = (attributes: Record<string, number>, failed?: string): void => {
    if (df.isReplaying) return;
    tel.orchestrationEnded({
      parent,
      spanId,
      instanceId: df.instanceId,
      startedAt,
      attributes,
      ...(failed === undefined ? {} : { failed }),
    });
  };
  const produced = inner(context) as unknown;
  if (!isGenerator(produced)) {
    end({});
    return produced;
  }
  let output: unknown;
  try {
    output = yield* produced;
  } catch (error) {
    end({}, error instanceof Error ? error.name : "error");
    throw error;
  }
  end(summaryAttributes(output));
  return output;
}

const isGenerator = (value: unknown): value is Generator<Task, unknown, unknown> =>
  typeof value === "object" && value !== null && typeof (value as Generator).next === "function";

/** The orchestration's summary counts (DispatchSummary), as span attributes. */
const summaryAttributes = (output: unknown): Record<string, number> => {
  if (typeof output !== "object" || output === null) return {};
  return Object.fromEntries(
    Object.entries(output)
      .filter(([, v]) => typeof v === "number")
      .map(([k, v]) => [`dispatcher.orchestration.${k}`, v as number]),
  );
};

/** An activity handler, traced: unwraps the envelope and runs in a child span of the orchestration's. */
export const tracedActivity =
  <I, C, O>(name: string, handler: (input: I, context: C) => Promise<O>, telemetry: () => Spans) =>
  (raw: unknown, context: C): Promise<O> => {
    if (!isEnvelope(raw)) return handler(raw as I, context);
    const input = raw.input as I;
    const tel = telemetry();
    const parent = parseTraceparent(raw[ENVELOPE].traceparent);
    if (!hasSpans(tel) || parent === undefined) return handler(input, context);
    return tel.activity(name, parent, raw[ENVELOPE].enqueued, () => handler(input, context));
  };
