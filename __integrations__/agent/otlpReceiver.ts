import { createServer, type Server } from "node:http";
import { type AddressInfo } from "node:net";

/**
 * An OTLP/HTTP receiver of our own (the JSON encoding, https://opentelemetry.io/docs/specs/otlp/#otlphttp): a
 * node:http server on 127.0.0.1 that accepts POSTs to /v1/traces, /v1/metrics and /v1/logs, answers 200 with an
 * empty export response, and keeps the decoded spans, metric data points and log records, and every raw body.
 */

export type AttributeValue = string | number | boolean;

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly scope: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly status: number;
  readonly startNanos: bigint;
  readonly endNanos: bigint;
}

export interface ReceivedPoint {
  readonly metric: string;
  readonly kind: "sum" | "gauge" | "histogram";
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** Sums and gauges: the value; histograms: the sum of the recorded values. */
  readonly value: number;
  /** Histograms: how many values were recorded. */
  readonly count?: number;
  readonly timeNanos: bigint;
}

export interface ReceivedLog {
  readonly body: string;
  readonly severityText: string;
  readonly traceId: string;
}

export interface OtlpReceiver {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  readonly spans: ReadonlyArray<ReceivedSpan>;
  readonly points: ReadonlyArray<ReceivedPoint>;
  readonly logs: ReadonlyArray<ReceivedLog>;
  /** Every request body as received, for "this never appears in telemetry" checks. */
  readonly rawBodies: ReadonlyArray<string>;
  /** Content types seen, by path. */
  readonly contentTypes: ReadonlyMap<string, ReadonlySet<string>>;
  /** The latest point of each series (metric + attributes): cumulative sums and histograms say their totals. */
  latest(metric: string): ReadonlyArray<ReceivedPoint>;
  close(): Promise<void>;
}

interface AnyValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}

const valueOf = (value: AnyValue | undefined): AttributeValue => {
  if (value === undefined) return "";
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  return JSON.stringify(value);
};

const attributesOf = (list: ReadonlyArray<KeyValue> | undefined): Record<string, AttributeValue> =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));

const nanos = (value: unknown): bigint =>
  typeof value === "string" || typeof value === "number" ? BigInt(value) : 0n;

/** OTLP/JSON ids are hex strings (the spec's exception to proto3 JSON's base64 bytes). */
const hexId = (value: unknown): string => (typeof value === "string" ? value.toLowerCase() : "");

interface TracesRequest {
  resourceSpans?: Array<{
    scopeSpans?: Array<{
      scope?: { name?: string };
      spans?: Array<Record<string, unknown>>;
    }>;
  }>;
}

interface DataPoint {
  attributes?: KeyValue[];
  asInt?: number | string;
  asDouble?: number;
  count?: number | string;
  sum?: number;
  timeUnixNano?: string;
}

interface MetricsRequest {
  resourceMetrics?: Array<{
    scopeMetrics?: Array<{
      metrics?: Array<{
        name: string;
        sum?: { dataPoints?: DataPoint[] };
        gauge?: { dataPoints?: DataPoint[] };
        histogram?: { dataPoints?: DataPoint[] };
      }>;
    }>;
  }>;
}

interface LogsRequest {
  resourceLogs?: Array<{
    scopeLogs?: Array<{
      logRecords?: Array<{ body?: AnyValue; severityText?: string; traceId?: string }>;
    }>;
  }>;
}

export const startOtlpReceiver = async (): Promise<OtlpReceiver> => {
  const spans: ReceivedSpan[] = [];
  const points: ReceivedPoint[] = [];
  const logs: ReceivedLog[] = [];
  const rawBodies: string[] = [];
  const contentTypes = new Map<string, Set<string>>();

  const decodeTraces = (request: TracesRequest): void => {
    for (const resource of request.resourceSpans ?? [])
      for (const scope of resource.scopeSpans ?? [])
        for (const span of scope.spans ?? [])
          spans.push({
            traceId: hexId(span.traceId),
            spanId: hexId(span.spanId),
            parentSpanId: hexId(span.parentSpanId),
            name: String(span.name),
            kind: Number(span.kind ?? 0),
            scope: scope.scope?.name ?? "",
            attributes: attributesOf(span.attributes as KeyValue[] | undefined),
            status: Number((span.status as { code?: number } | undefined)?.code ?? 0),
            startNanos: nanos(span.startTimeUnixNano),
            endNanos: nanos(span.endTimeUnixNano),
          });
  };

  const decodeMetrics = (request: MetricsRequest): void => {
    for (const resource of request.resourceMetrics ?? [])
      for (const scope of resource.scopeMetrics ?? [])
        for (const metric of scope.metrics ?? []) {
          const kinds = [
            ["sum", metric.sum],
            ["gauge", metric.gauge],
            ["histogram", metric.histogram],
          ] as const;
          for (const [kind, data] of kinds)
            for (const point of data?.dataPoints ?? [])
              points.push({
                metric: metric.name,
                kind,
                attributes: attributesOf(point.attributes),
                value:
                  kind === "histogram" ? Number(point.sum ?? 0) : Number(point.asInt ?? point.asDouble ?? 0),
                ...(kind === "histogram" ? { count: Number(point.count ?? 0) } : {}),
                timeNanos: nanos(point.timeUnixNano),
              });
        }
  };

  const decodeLogs = (request: LogsRequest): void => {
    for (const resource of request.resourceLogs ?? [])
      for (const scope of resource.scopeLogs ?? [])
        for (const record of scope.logRecords ?? [])
          logs.push({
            body: String(valueOf(record.body)),
            severityText: record.severityText ?? "",
            traceId: hexId(record.traceId),
          });
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0] ?? "";
      const text = Buffer.concat(chunks).toString("utf8");
      const type = req.headers["content-type"] ?? "";
      contentTypes.set(path, (contentTypes.get(path) ?? new Set()).add(type));
      rawBodies.push(text);
      if (req.method !== "POST" || !type.startsWith("application/json")) {
        res.writeHead(415, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "this receiver decodes OTLP/HTTP JSON only" }));
        return;
      }
      try {
        const body = JSON.parse(text) as unknown;
        if (path === "/v1/traces") decodeTraces(body as TracesRequest);
        else if (path === "/v1/metrics") decodeMetrics(body as MetricsRequest);
        else if (path === "/v1/logs") decodeLogs(body as LogsRequest);
        else {
          res.writeHead(404).end();
          return;
        }
      } catch {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    points,
    logs,
    rawBodies,
    contentTypes,
    latest(metric) {
      const bySeries = new Map<string, ReceivedPoint>();
      for (const point of points) {
        if (point.metric !== metric) continue;
        const key = JSON.stringify(Object.entries(point.attributes).sort(([a], [b]) => a.localeCompare(b)));
        const previous = bySeries.get(key);
        if (previous === undefined || point.timeNanos >= previous.timeNanos) bySeries.set(key, point);
      }
      return [...bySeries.values()];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
