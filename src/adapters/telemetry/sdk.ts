import * as azureFunctions from "@azure/functions";
import { AzureFunctionsInstrumentationESM } from "@azure/functions-opentelemetry-instrumentation";
import { ManagedIdentityCredential } from "@azure/identity";
import { useAzureMonitor } from "@azure/monitor-opentelemetry";
import { metrics, trace, type TracerProvider } from "@opentelemetry/api";
import { logs } from "@opentelemetry/api-logs";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

import { type TelemetrySettings } from "../../config";
import { VERSION } from "../../version";
import { INSTRUMENTATION_SCOPE, makeOtelTelemetry, withForcedSpanIds } from "./otelTelemetry";
import { type OrchestrationSpans } from "./otelTelemetry";
import { type Telemetry } from "./telemetry";

/** Which exporter the settings choose. Application Insights wins when both are set. */
export type ExporterChoice = "azureMonitor" | "otlp" | "none";

export const exporterOf = (settings: TelemetrySettings): ExporterChoice =>
  settings.APPLICATIONINSIGHTS_CONNECTION_STRING !== undefined
    ? "azureMonitor"
    : settings.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined
      ? "otlp"
      : "none";

/** `ClientId=<id>` of APPLICATIONINSIGHTS_AUTHENTICATION_STRING ("Authorization=AAD;ClientId=..."), if any. */
export const aadClientIdOf = (authentication: string | undefined): { aad: boolean; clientId?: string } => {
  if (authentication === undefined) return { aad: false };
  const parts = new Map(
    authentication
      .split(";")
      .map((part) => part.split("=").map((s) => s.trim()))
      .filter((kv): kv is [string, string] => kv.length === 2)
      .map(([k, v]) => [k.toLowerCase(), v]),
  );
  const aad = parts.get("authorization")?.toUpperCase() === "AAD";
  const clientId = parts.get("clientid");
  return clientId === undefined || clientId === "" ? { aad } : { aad, clientId };
};

/**
 * The URL of a request without its query string and fragment: receivers' URLs may carry tokens there, which
 * must not end up in telemetry.
 */
const withoutQuery = (origin: string, path: string): string => `${origin}${path.split("?")[0] ?? ""}`;

/** Instrumentations both paths register: the Functions host's trace context per invocation, undici's POSTs. */
const instrument = (): void => {
  registerInstrumentations({
    instrumentations: [
      new UndiciInstrumentation({
        requestHook: (span, request) => {
          span.setAttribute("url.full", withoutQuery(request.origin, request.path));
          span.setAttribute("url.query", "");
        },
      }),
    ],
  });
  // Patches the app's own @azure/functions explicitly (no require hook, so the order of module loads does not
  // matter): a preInvocation hook that makes the host's trace context of the invocation the active one, and a
  // log hook that sends context.log lines as OpenTelemetry logs.
  const functions = new AzureFunctionsInstrumentationESM({ enabled: false });
  functions.registerAzFunc(azureFunctions);
};

const resourceOf = (settings: TelemetrySettings) =>
  resourceFromAttributes({
    "service.name": settings.OTEL_SERVICE_NAME,
    "service.version": VERSION,
  });

const startAzureMonitor = (settings: TelemetrySettings): void => {
  const { aad, clientId } = aadClientIdOf(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING);
  useAzureMonitor({
    resource: resourceOf(settings),
    azureMonitorExporterOptions: {
      connectionString: settings.APPLICATIONINSIGHTS_CONNECTION_STRING!,
      // Local auth off: ingestion takes only an Entra ID token, here the managed identity's.
      ...(aad
        ? {
            credential:
              clientId === undefined
                ? new ManagedIdentityCredential()
                : new ManagedIdentityCredential({ clientId }),
          }
        : {}),
    },
  });
};

const startOtlp = (settings: TelemetrySettings): void => {
  const resource = resourceOf(settings);
  // The exporters read OTEL_EXPORTER_OTLP_ENDPOINT (and _HEADERS, _TIMEOUT) themselves; these send OTLP/HTTP JSON.
  const tracerProvider = new NodeTracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter(), {
        scheduledDelayMillis: settings.OTEL_BSP_SCHEDULE_DELAY,
      }),
    ],
  });
  tracerProvider.register();
  metrics.setGlobalMeterProvider(
    new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter(),
          exportIntervalMillis: settings.OTEL_METRIC_EXPORT_INTERVAL,
          exportTimeoutMillis: Math.min(30_000, settings.OTEL_METRIC_EXPORT_INTERVAL),
        }),
      ],
    }),
  );
  logs.setGlobalLoggerProvider(
    new LoggerProvider({
      resource,
      processors: [
        new BatchLogRecordProcessor({
          exporter: new OTLPLogExporter(),
          scheduledDelayMillis: settings.OTEL_BSP_SCHEDULE_DELAY,
        }),
      ],
    }),
  );
  shutdownHooks.push(
    () => tracerProvider.shutdown(),
    () => (metrics.getMeterProvider() as MeterProvider).shutdown(),
    () => (logs.getLoggerProvider() as LoggerProvider).shutdown(),
  );
};

const shutdownHooks: Array<() => Promise<void>> = [];

/** Flushes and stops the exporters (the local runtime's appTerminate; in Azure the worker's exit). */
export const shutdownTelemetry = async (): Promise<void> => {
  await Promise.allSettled(shutdownHooks.splice(0).map((hook) => hook()));
};

/**
 * Starts the SDK the settings choose and returns the telemetry port over it, or undefined when no exporter is
 * configured: then nothing is started, no instrumentation is registered and the caller uses noopTelemetry.
 */
export const startSdk = (settings: TelemetrySettings): (Telemetry & OrchestrationSpans) | undefined => {
  const choice = exporterOf(settings);
  if (choice === "none") return undefined;
  if (choice === "azureMonitor") startAzureMonitor(settings);
  else startOtlp(settings);
  instrument();
  // The SDK's own tracer (not the API's proxy), so that its span ids can be given (otelTelemetry.ts).
  const provider = trace.getTracerProvider() as TracerProvider & { getDelegate?: () => TracerProvider };
  const sdkProvider = provider.getDelegate?.() ?? provider;
  const tracer = withForcedSpanIds(sdkProvider.getTracer(INSTRUMENTATION_SCOPE, VERSION));
  return makeOtelTelemetry(tracer, metrics.getMeter(INSTRUMENTATION_SCOPE, VERSION));
};
