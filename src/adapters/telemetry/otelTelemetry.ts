import {
  type Attributes,
  context,
  createContextKey,
  type Meter,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from "@opentelemetry/api";

import { type DeliveryOutcome } from "../../domain/classification";
import {
  type BatchInfo,
  type DeliveryAttemptInfo,
  rejectionKind,
  statusClass,
  type Telemetry,
  type TraceCarrier,
} from "./telemetry";
import { formatTraceparent } from "./traceContext";

export const INSTRUMENTATION_SCOPE = "public-event-dispatcher";

/** The enqueued times of the events an activity works on, carried in the active context (durableTracing.ts). */
export const ENQUEUED_KEY = createContextKey("dispatcher.enqueued");

/**
 * A tracer whose next span can be given its span id: the orchestration's span is exported when the orchestration
 * ends, with the id its activities were parented on from the start (traceContext.ts). The SDK's tracer takes span
 * ids from its id generator, so that generator is wrapped (both SDK paths build this same tracer class).
 */
export interface IdTracer {
  readonly tracer: Tracer;
  startSpanWithId(spanId: string, start: () => Span): Span;
}

interface IdGeneratorLike {
  generateSpanId(): string;
  generateTraceId(): string;
}

export const withForcedSpanIds = (tracer: Tracer): IdTracer => {
  let forced: string | undefined;
  const sdk = tracer as unknown as { _idGenerator?: IdGeneratorLike };
  const inner = sdk._idGenerator;
  if (inner !== undefined) {
    sdk._idGenerator = {
      generateTraceId: () => inner.generateTraceId(),
      generateSpanId: () => {
        const id = forced;
        forced = undefined;
        return id ?? inner.generateSpanId();
      },
    };
  }
  return {
    tracer,
    startSpanWithId(spanId, start) {
      forced = spanId;
      try {
        return start();
      } finally {
        forced = undefined;
      }
    },
  };
};

const errorKindOf = (outcome: DeliveryOutcome): string | undefined =>
  "error" in outcome && outcome.error !== undefined ? outcome.error : undefined;

/** The Telemetry port over the OpenTelemetry API, with the SDK already registered globally (sdk.ts). */
export const makeOtelTelemetry = (idTracer: IdTracer, meter: Meter): Telemetry & OrchestrationSpans => {
  const { tracer } = idTracer;
  const deliveries = meter.createCounter("dispatcher.deliveries", {
    description: "Delivery attempts (POSTs) by outcome, HTTP status class and webhook",
    unit: "{attempt}",
  });
  const duration = meter.createHistogram("dispatcher.delivery.duration", {
    description: "Duration of one delivery attempt, request start to response end",
    unit: "s",
  });
  const latency = meter.createHistogram("dispatcher.delivery.latency", {
    description: "From the event's enqueuing in the Event Hub to its successful delivery",
    unit: "s",
  });
  const retries = meter.createCounter("dispatcher.delivery.retries", {
    description: "Deliveries sent into a retry round",
    unit: "{delivery}",
  });
  const deadLetters = meter.createCounter("dispatcher.dead_letters", {
    description: "Deliveries dead-lettered, by reason and webhook",
    unit: "{delivery}",
  });
  const ingested = meter.createCounter("dispatcher.events.ingested", {
    description: "Events read from the Event Hub, by partition",
    unit: "{event}",
  });
  const rejected = meter.createCounter("dispatcher.events.rejected", {
    description: "Events rejected at ingest, by reason",
    unit: "{event}",
  });
  // Per process: each instance counts the failures it saw in a row for each webhook (reset by a success it sees).
  const consecutive = new Map<string, number>();
  meter
    .createObservableGauge("dispatcher.webhook.consecutive_failures", {
      description:
        "Failed attempts in a row per webhook, as this instance saw them (0 after a delivered attempt)",
      unit: "{attempt}",
    })
    .addCallback((result) => {
      for (const [webhookId, count] of consecutive)
        result.observe(count, { "dispatcher.webhook.id": webhookId });
    });

  return {
    enabled: true,
    ingestBatch(batch: BatchInfo, run) {
      return tracer.startActiveSpan(
        "dispatcher.ingest",
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            "messaging.system": "eventhubs",
            "messaging.destination.name": batch.hub,
            "messaging.destination.partition.id": batch.partitionId,
            "messaging.batch.message_count": batch.events,
          },
        },
        (span) => endAfter(span, run),
      );
    },
    carrier(enqueued): TraceCarrier | undefined {
      const current = trace.getSpan(context.active())?.spanContext();
      if (current === undefined || !trace.isSpanContextValid(current)) return undefined;
      return { traceparent: formatTraceparent(current), enqueued };
    },
    withEnqueued(enqueued, run) {
      return context.with(context.active().setValue(ENQUEUED_KEY, enqueued), run);
    },
    batchIngested(partitionId, events, rejectedReasons) {
      ingested.add(events, { "messaging.destination.partition.id": partitionId });
      for (const reasons of rejectedReasons)
        rejected.add(1, { "dispatcher.rejection.reason": rejectionKind(reasons) });
    },
    async delivery(attempt: DeliveryAttemptInfo, send) {
      const attributes: Attributes = {
        "dispatcher.webhook.id": attempt.webhookId,
        "dispatcher.delivery.id": attempt.deliveryId,
        "dispatcher.event.name": attempt.eventName,
        "dispatcher.delivery.attempt": attempt.attempt,
      };
      const span = tracer.startSpan("dispatcher.delivery", { kind: SpanKind.INTERNAL, attributes });
      let result;
      try {
        result = await context.with(trace.setSpan(context.active(), span), send);
      } catch (error) {
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.name : "error",
        });
        span.end();
        throw error;
      }
      const { outcome } = result;
      const errorKind = errorKindOf(outcome);
      // Enqueued in the Event Hub -> delivered: on the span too, so that its percentiles can be queried.
      const enqueued = (context.active().getValue(ENQUEUED_KEY) as Record<string, string> | undefined)?.[
        attempt.eventId
      ];
      const since = enqueued === undefined ? NaN : Date.parse(enqueued);
      const ageMs =
        outcome.kind === "delivered" && Number.isFinite(since) ? Math.max(0, Date.now() - since) : undefined;
      span.setAttribute("dispatcher.delivery.outcome", outcome.kind);
      if (outcome.status !== undefined) span.setAttribute("http.response.status_code", outcome.status);
      if (errorKind !== undefined) span.setAttribute("error.type", errorKind);
      if (ageMs !== undefined) span.setAttribute("dispatcher.event.age_ms", Math.round(ageMs));
      if (outcome.kind !== "delivered") span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();

      const labels = {
        "dispatcher.delivery.outcome": outcome.kind,
        "http.response.status_class": statusClass(outcome.status),
        "dispatcher.webhook.id": attempt.webhookId,
      };
      deliveries.add(1, labels);
      duration.record(result.latencyMs / 1000, labels);
      if (ageMs !== undefined) latency.record(ageMs / 1000, { "dispatcher.webhook.id": attempt.webhookId });
      consecutive.set(
        attempt.webhookId,
        outcome.kind === "delivered" ? 0 : (consecutive.get(attempt.webhookId) ?? 0) + 1,
      );
      return result;
    },
    retriesScheduled(count, replaying) {
      if (!replaying && count > 0) retries.add(count);
    },
    deadLettered(letters) {
      for (const letter of letters)
        deadLetters.add(1, {
          "dispatcher.dead_letter.reason": letter.reason,
          "dispatcher.webhook.id": letter.webhookId,
        });
    },
    activity(name, parent, enqueued, run) {
      const parentContext = trace.setSpanContext(context.active(), parent);
      const withEnqueued =
        enqueued === undefined ? parentContext : parentContext.setValue(ENQUEUED_KEY, enqueued);
      return context.with(withEnqueued, () =>
        tracer.startActiveSpan(`dispatcher.activity ${name}`, { kind: SpanKind.INTERNAL }, (span) =>
          endAfter(span, run),
        ),
      );
    },
    orchestrationEnded(info) {
      const parentContext = trace.setSpanContext(context.active(), info.parent);
      const span = idTracer.startSpanWithId(info.spanId, () =>
        tracer.startSpan(
          "dispatcher.orchestration dispatch",
          {
            kind: SpanKind.INTERNAL,
            startTime: info.startedAt,
            attributes: { "dispatcher.orchestration.instance_id": info.instanceId, ...info.attributes },
          },
          parentContext,
        ),
      );
      if (info.failed !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: info.failed });
      span.end();
    },
  };
};

/** What the durable wrappers (durableTracing.ts) need beyond the port. */
export interface OrchestrationSpans {
  /** Runs an activity in a span whose parent is the orchestration's span. */
  activity<T>(
    name: string,
    parent: SpanContext,
    enqueued: Readonly<Record<string, string>> | undefined,
    run: () => Promise<T>,
  ): Promise<T>;
  /** Exports the orchestration's span, once, when it ends (outside replay). */
  orchestrationEnded(info: {
    readonly parent: SpanContext;
    readonly spanId: string;
    readonly instanceId: string;
    readonly startedAt: Date;
    readonly attributes: Attributes;
    readonly failed?: string;
  }): void;
}

const endAfter = async <T>(span: Span, run: () => Promise<T>): Promise<T> => {
  try {
    return await run();
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : "error" });
    throw error;
  } finally {
    span.end();
  }
};
