import { createHash } from "node:crypto";

import type { SpanContext } from "@opentelemetry/api";

/** SAMPLED (a value import of @opentelemetry/api would load it with telemetry off). */
const SAMPLED = 1;

/** W3C traceparent: version 00, 32 hex trace id, 16 hex span id, 2 hex flags (https://www.w3.org/TR/trace-context/). */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export const parseTraceparent = (text: unknown): SpanContext | undefined => {
  if (typeof text !== "string") return undefined;
  const match = TRACEPARENT.exec(text.trim());
  if (match === null) return undefined;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) & SAMPLED, isRemote: true };
};

export const formatTraceparent = (context: SpanContext): string =>
  `00-${context.traceId}-${context.spanId}-${(context.traceFlags & SAMPLED).toString(16).padStart(2, "0")}`;

/**
 * The span id of an orchestration's span, the same in every replay and every process: derived from the trace
 * and the instance id. Activities are parented on it before the orchestration's span is exported (at the end).
 */
export const orchestrationSpanId = (traceId: string, instanceId: string): string => {
  const hex = createHash("sha256").update(`${traceId}:${instanceId}`).digest("hex").slice(0, 16);
  return /^0+$/.test(hex) ? "0000000000000001" : hex;
};
