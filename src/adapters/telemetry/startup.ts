import { app } from "@azure/functions";
import * as E from "fp-ts/Either";

import { decodeTelemetrySettings } from "../../config";
import { type OrchestrationSpans } from "./otelTelemetry";
import type * as SdkModule from "./sdk";
import { noopTelemetry, type Telemetry } from "./telemetry";

/**
 * Telemetry start-up. Every `register.ts` imports this module first, so it runs before any of the app's modules
 * (and before `@azure/functions` registers a function), once per process whichever entry point the worker or the
 * local runtime loads first. With neither APPLICATIONINSIGHTS_CONNECTION_STRING nor OTEL_EXPORTER_OTLP_ENDPOINT set
 * it does nothing else: the SDK module (sdk.ts, and with it every OpenTelemetry package) is not even loaded, no
 * instrumentation is registered, and the app's code gets `noopTelemetry`, whose methods only call through.
 */

let started: (Telemetry & Partial<OrchestrationSpans>) | undefined;

const start = (): Telemetry & Partial<OrchestrationSpans> => {
  const settings = decodeTelemetrySettings(process.env);
  if (E.isLeft(settings)) {
    // Failure policy: a bad telemetry setting costs the telemetry, not the dispatcher. Said once, by name only.
    console.error(`telemetry is off: ${settings.left.settings.join("; ")}`);
    return noopTelemetry;
  }
  const on =
    settings.right.APPLICATIONINSIGHTS_CONNECTION_STRING !== undefined ||
    settings.right.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;
  if (!on) return noopTelemetry;
  // Loaded only now: with telemetry off no OpenTelemetry package is ever loaded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require("./sdk") as typeof SdkModule;
  const telemetry = sdk.startSdk(settings.right) ?? noopTelemetry;
  app.hook.appTerminate(() => sdk.shutdownTelemetry());
  return telemetry;
};

/** The process's telemetry (started on first use; this module's import starts it). */
export const processTelemetry = (): Telemetry & Partial<OrchestrationSpans> => (started ??= start());

processTelemetry();
