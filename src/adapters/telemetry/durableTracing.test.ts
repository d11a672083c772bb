import { type SpanContext } from "@opentelemetry/api";
import { type OrchestrationContext, type OrchestrationHandler } from "durable-functions";
import * as E from "fp-ts/Either";

import { DispatchInput } from "../../domain/dispatch";
import { tracedActivity, tracedOrchestrator } from "./durableTracing";
import { type OrchestrationSpans } from "./otelTelemetry";
import { noopTelemetry, type Telemetry } from "./telemetry";
import { formatTraceparent, orchestrationSpanId, parseTraceparent } from "./traceContext";

/**
 * The durable wrappers with a recording fake of the telemetry port (the OpenTelemetry side is tested end to end
 * in __integrations__/faults/telemetry.fault.ts) and a hand-driven orchestration context.
 */

const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

interface Recorded {
  activities: Array<{ name: string; parent: SpanContext; enqueued?: Readonly<Record<string, string>> }>;
  ended: Array<Parameters<OrchestrationSpans["orchestrationEnded"]>[0]>;
}

const recording = (): Telemetry & OrchestrationSpans & { recorded: Recorded } => {
  const recorded: Recorded = { activities: [], ended: [] };
  return {
    ...noopTelemetry,
    enabled: true,
    recorded,
    activity: (name, parent, enqueued, run) => {
      recorded.activities.push({ name, parent, ...(enqueued === undefined ? {} : { enqueued }) });
      return run();
    },
    orchestrationEnded: (info) => {
      recorded.ended.push(info);
    },
  };
};

/** A context whose callActivityWithRetry records what it was given; `isReplaying` is set by the test. */
const contextFor = (input: unknown, replaying: { value: boolean }) => {
  const scheduled: Array<{ name: string; input: unknown }> = [];
  const df = {
    instanceId: "dispatch:io-events:0:1-2",
    currentUtcDateTime: new Date("2026-01-01T00:00:00Z"),
    get isReplaying() {
      return replaying.value;
    },
    getInput: () => input,
    callActivity: (name: string, activityInput: unknown) => {
      scheduled.push({ name, input: activityInput });
      return { name };
    },
    callActivityWithRetry: (name: string, _retry: unknown, activityInput: unknown) => {
      scheduled.push({ name, input: activityInput });
      return { name };
    },
  };
  return { context: { df } as unknown as OrchestrationContext, scheduled };
};

const events = [
  { eventId: "e1", event: { name: "ping", payload: { name: "a" } } },
  { eventId: "e2", event: { name: "ping", payload: { name: "b" } } },
];
const settings = { chunkSize: 10, retrySchedule: [0] };

/** Schedules a plan, then a deliver of one chunk, then returns a summary. */
const inner: OrchestrationHandler = function* (context) {
  yield context.df.callActivityWithRetry("dispatch-plan", {} as never, { events });
  yield context.df.callActivityWithRetry("dispatch-deliver", {} as never, [
    {
      delivery: { id: "d2", eventId: "e2", webhookId: "w", message: { name: "ping", payload: {} } },
      attempts: 1,
    },
  ]);
  return { planned: 2, delivered: 2 };
};

const drive = (handler: OrchestrationHandler, context: OrchestrationContext): unknown => {
  const generator = handler(context) as Generator<unknown, unknown, unknown>;
  let step = generator.next();
  while (!step.done) step = generator.next(undefined);
  return step.value;
};

describe("DispatchInput and its trace carrier", () => {
  it("decodes inputs written before the carrier existed, and inputs with it", () => {
    const old = { kind: "events", events, settings };
    expect(E.isRight(DispatchInput.decode(old))).toBe(true);
    const traced = { ...old, trace: { traceparent: TRACEPARENT, enqueued: { e1: "2026-01-01T00:00:00Z" } } };
    const decoded = DispatchInput.decode(traced);
    expect(E.isRight(decoded) && decoded.right.trace?.traceparent).toBe(TRACEPARENT);
    expect(E.isRight(DispatchInput.decode({ ...old, trace: { enqueued: {} } }))).toBe(false);
  });
});

describe("traceparent", () => {
  it("parses and formats W3C traceparents, refusing malformed and all-zero ids", () => {
    const parsed = parseTraceparent(TRACEPARENT)!;
    expect(parsed).toMatchObject({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" });
    expect(formatTraceparent(parsed)).toBe(TRACEPARENT);
    for (const bad of [
      "",
      "junk",
      "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      `00-${"0".repeat(32)}-b7ad6b7169203331-01`,
    ])
      expect(parseTraceparent(bad)).toBeUndefined();
  });

  it("derives the orchestration's span id from the trace and the instance: stable, and distinct per instance", () => {
    const a = orchestrationSpanId("0af7651916cd43dd8448eb211c80319c", "dispatch:1");
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(orchestrationSpanId("0af7651916cd43dd8448eb211c80319c", "dispatch:1")).toBe(a);
    expect(orchestrationSpanId("0af7651916cd43dd8448eb211c80319c", "dispatch:2")).not.toBe(a);
  });
});

describe("tracedOrchestrator", () => {
  const input = {
    kind: "events",
    events,
    settings,
    trace: { traceparent: TRACEPARENT, enqueued: { e1: "t1", e2: "t2" } },
  };

  it("wraps each activity input with the orchestration span as parent and the enqueued times it is about", () => {
    const telemetry = recording();
    const { context, scheduled } = contextFor(input, { value: false });
    expect(
      drive(
        tracedOrchestrator(inner, () => telemetry),
        context,
      ),
    ).toEqual({ planned: 2, delivered: 2 });
    const spanId = orchestrationSpanId("0af7651916cd43dd8448eb211c80319c", "dispatch:io-events:0:1-2");
    const expectedParent = `00-0af7651916cd43dd8448eb211c80319c-${spanId}-01`;
    expect(scheduled.map((s) => s.input)).toEqual([
      {
        __dispatcherTrace: { traceparent: expectedParent, enqueued: { e1: "t1", e2: "t2" } },
        input: { events },
      },
      {
        __dispatcherTrace: { traceparent: expectedParent, enqueued: { e2: "t2" } },
        input: [expect.objectContaining({ attempts: 1 })],
      },
    ]);
    expect(telemetry.recorded.ended).toHaveLength(1);
    expect(telemetry.recorded.ended[0]).toMatchObject({
      spanId,
      instanceId: "dispatch:io-events:0:1-2",
      attributes: { "dispatcher.orchestration.planned": 2, "dispatcher.orchestration.delivered": 2 },
    });
  });

  it("exports no orchestration span while replaying", () => {
    const telemetry = recording();
    const { context } = contextFor(input, { value: true });
    drive(
      tracedOrchestrator(inner, () => telemetry),
      context,
    );
    expect(telemetry.recorded.ended).toHaveLength(0);
  });

  it("leaves inputs alone with telemetry off, or for an orchestration started without a trace", () => {
    for (const [telemetry, orchestrationInput] of [
      [noopTelemetry, input],
      [recording(), { kind: "events", events, settings }],
    ] as const) {
      const { context, scheduled } = contextFor(orchestrationInput, { value: false });
      drive(
        tracedOrchestrator(inner, () => telemetry),
        context,
      );
      expect(scheduled[0]!.input).toEqual({ events });
    }
  });
});

describe("tracedActivity", () => {
  const handler = (input: unknown): Promise<unknown> => Promise.resolve({ got: input });

  it("unwraps an envelope and runs the activity as a child of the carried parent", async () => {
    const telemetry = recording();
    const activity = tracedActivity("dispatch-deliver", handler, () => telemetry);
    const out = await activity(
      { __dispatcherTrace: { traceparent: TRACEPARENT, enqueued: { e1: "t" } }, input: [1] },
      {},
    );
    expect(out).toEqual({ got: [1] });
    expect(telemetry.recorded.activities).toEqual([
      {
        name: "dispatch-deliver",
        parent: expect.objectContaining({ spanId: "b7ad6b7169203331" }),
        enqueued: { e1: "t" },
      },
    ]);
  });

  it("unwraps an envelope even with telemetry off (scheduled while it was on), and passes plain inputs through", async () => {
    const activity = tracedActivity("dispatch-deliver", handler, () => noopTelemetry);
    expect(await activity({ __dispatcherTrace: { traceparent: TRACEPARENT }, input: [1] }, {})).toEqual({
      got: [1],
    });
    expect(await activity([2], {})).toEqual({ got: [2] });
  });
});
