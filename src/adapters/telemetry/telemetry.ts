import { type DeliveryOutcome } from "../../domain/classification";
import { type Delivery } from "../../domain/deliveryPlan";
import { type WebhookSender } from "../delivery/webhookSender";

/**
 * What the app tells its telemetry, as a port: the dispatch and ingest code call these and never touch
 * OpenTelemetry. With no exporter configured the process gets `noopTelemetry` (startup.ts), whose methods do
 * nothing but call through. Attributes are ids, names, counts, status codes and error kinds: never payload values,
 * URLs' query strings, header values or secrets (fiscal codes are personal data).
 */

/** The W3C trace context an orchestration carries in its input (it survives replays), and when its events were
    enqueued in the Event Hub (for the enqueued-to-delivered latency). */
export interface TraceCarrier {
  readonly traceparent: string;
  readonly enqueued?: Readonly<Record<string, string>>;
}

export interface DeliveryAttemptInfo {
  readonly webhookId: string;
  readonly deliveryId: string;
  readonly eventId: string;
  readonly eventName: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
}

export interface BatchInfo {
  readonly hub: string;
  readonly partitionId: string;
  readonly events: number;
}

export interface Telemetry {
  readonly enabled: boolean;
  /** A span around one Event Hub batch's ingest (the trigger invocation's child). */
  ingestBatch<T>(batch: BatchInfo, run: () => Promise<T>): Promise<T>;
  /** The current trace context and the batch's enqueued times, for the orchestration input (undefined when off). */
  carrier(enqueued: Readonly<Record<string, string>>): TraceCarrier | undefined;
  /** Runs `run` knowing when the events were enqueued (the ingest's first round: its deliveries' event age). */
  withEnqueued<T>(enqueued: Readonly<Record<string, string>>, run: () => Promise<T>): Promise<T>;
  /** Counts a batch: every event per partition, the rejected ones by reason. */
  batchIngested(
    partitionId: string,
    events: number,
    rejectedReasons: ReadonlyArray<ReadonlyArray<string>>,
  ): void;
  /** One POST: a span around `send`, the delivery counters and histograms. Returns what `send` returned. */
  delivery<R extends { readonly outcome: DeliveryOutcome; readonly latencyMs: number }>(
    attempt: DeliveryAttemptInfo,
    send: () => Promise<R>,
  ): Promise<R>;
  /** Deliveries going into another round (counted when the round's retry is made), outside replays only. */
  retriesScheduled(count: number, replaying: boolean): void;
  deadLettered(letters: ReadonlyArray<{ readonly webhookId: string; readonly reason: string }>): void;
}

export const noopTelemetry: Telemetry = {
  enabled: false,
  ingestBatch: (_batch, run) => run(),
  carrier: () => undefined,
  withEnqueued: (_enqueued, run) => run(),
  batchIngested: () => undefined,
  delivery: (_attempt, send) => send(),
  retriesScheduled: () => undefined,
  deadLettered: () => undefined,
};

/**
 * A rejected event's reason as a small closed set (the metric's attribute): the decoder's messages hold field
 * paths, which would make one series per path.
 */
export const rejectionKind = (reasons: ReadonlyArray<string>): string => {
  const first = reasons[0] ?? "";
  if (first.startsWith("the body is not valid JSON")) return "invalid_json";
  if (first.startsWith("the event could not be read")) return "unreadable";
  if (first.startsWith("/name:")) return "unknown_name";
  return "invalid_payload";
};

/** "2xx".."5xx", or "none" when no response came (timeouts, resets, blocked targets). */
export const statusClass = (status: number | undefined): string =>
  status === undefined ? "none" : `${Math.floor(status / 100)}xx`;

/**
 * The sender for one attempt of `delivery`: with telemetry on, each send runs in `telemetry.delivery` (its span and
 * metrics); off (or no telemetry), the sender itself, so the hot path gets no object, closure or call more.
 */
export const tracedSender = (
  sender: WebhookSender,
  telemetry: Telemetry | undefined,
  delivery: Delivery,
  attempt: number,
): WebhookSender => {
  if (telemetry === undefined || !telemetry.enabled) return sender;
  const info: DeliveryAttemptInfo = {
    webhookId: delivery.webhookId,
    deliveryId: delivery.id,
    eventId: delivery.eventId,
    eventName: delivery.message.name,
    attempt,
  };
  return {
    send: (request) => telemetry.delivery(info, () => sender.send(request)),
    close: () => sender.close(),
  };
};
