import * as E from "fp-ts/Either";

import { decodeTelemetrySettings, type TelemetrySettings } from "../../config";
import { type WebhookSender } from "../delivery/webhookSender";
import { aadClientIdOf, exporterOf } from "./sdk";
import { noopTelemetry, rejectionKind, statusClass, tracedSender } from "./telemetry";

const settings = (env: Record<string, string>): TelemetrySettings => {
  const decoded = decodeTelemetrySettings(env);
  if (E.isLeft(decoded)) throw decoded.left;
  return decoded.right;
};

describe("telemetry settings", () => {
  it("defaults: no exporter, the service name, a minute between metric exports", () => {
    const s = settings({});
    expect(exporterOf(s)).toBe("none");
    expect(s).toMatchObject({
      OTEL_SERVICE_NAME: "public-event-dispatcher",
      OTEL_METRIC_EXPORT_INTERVAL: 60000,
      OTEL_BSP_SCHEDULE_DELAY: 5000,
    });
  });

  it("chooses Application Insights over OTLP when both are set, OTLP alone otherwise; blank means unset", () => {
    const ai =
      "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://example.invalid/";
    expect(
      exporterOf(
        settings({
          APPLICATIONINSIGHTS_CONNECTION_STRING: ai,
          OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
        }),
      ),
    ).toBe("azureMonitor");
    expect(exporterOf(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }))).toBe("otlp");
    expect(
      exporterOf(settings({ APPLICATIONINSIGHTS_CONNECTION_STRING: " ", OTEL_EXPORTER_OTLP_ENDPOINT: "" })),
    ).toBe("none");
  });

  it("refuses a bad value naming the setting, never the value", () => {
    const decoded = decodeTelemetrySettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://secret-host/x",
      OTEL_METRIC_EXPORT_INTERVAL: "5",
    });
    expect(E.isLeft(decoded)).toBe(true);
    const message = E.isLeft(decoded) ? decoded.left.message : "";
    expect(message).toContain("OTEL_EXPORTER_OTLP_ENDPOINT is invalid");
    expect(message).toContain("OTEL_METRIC_EXPORT_INTERVAL is invalid");
    expect(message).not.toContain("secret-host");
  });

  it("reads the Entra ID client id of APPLICATIONINSIGHTS_AUTHENTICATION_STRING", () => {
    expect(aadClientIdOf(undefined)).toEqual({ aad: false });
    expect(aadClientIdOf("Authorization=AAD")).toEqual({ aad: true });
    expect(aadClientIdOf("ClientId=abc-123;Authorization=AAD")).toEqual({ aad: true, clientId: "abc-123" });
    expect(aadClientIdOf("authorization=aad; clientid=abc")).toEqual({ aad: true, clientId: "abc" });
  });
});

describe("metric attributes", () => {
  it("classifies rejections into a closed set (the decoder's field paths would make a series per path)", () => {
    expect(rejectionKind(["the body is not valid JSON"])).toBe("invalid_json");
    expect(rejectionKind(["/name: must be one of ping, service:subscribed"])).toBe("unknown_name");
    expect(rejectionKind(["/payload/fiscalCode: must be a fiscal code"])).toBe("invalid_payload");
    expect(rejectionKind(["the event could not be read (RangeError)"])).toBe("unreadable");
  });

  it("gives status classes, none without a response", () => {
    expect([200, 204, 410, 503, undefined].map(statusClass)).toEqual(["2xx", "2xx", "4xx", "5xx", "none"]);
  });
});

describe("tracedSender", () => {
  const sender: WebhookSender = {
    send: () => Promise.resolve({ outcome: { kind: "delivered", status: 200 }, latencyMs: 3 }),
    close: () => Promise.resolve(),
  };
  const delivery = {
    id: "d1",
    eventId: "e1",
    webhookId: "w1",
    message: { name: "ping" as const, payload: {} },
  };

  it("is the sender itself with telemetry off: nothing is added to the delivery path", () => {
    expect(tracedSender(sender, undefined, delivery, 1)).toBe(sender);
    expect(tracedSender(sender, noopTelemetry, delivery, 1)).toBe(sender);
  });

  it("with telemetry on, runs each send in telemetry.delivery with the attempt's ids", async () => {
    const seen: unknown[] = [];
    const on = {
      ...noopTelemetry,
      enabled: true,
      delivery: <R>(info: unknown, send: () => Promise<R>): Promise<R> => {
        seen.push(info);
        return send();
      },
    };
    const traced = tracedSender(sender, on, delivery, 2);
    const result = await traced.send({
      deliveryId: "d1",
      url: "https://example.invalid/",
      body: "{}",
      headers: {},
      secrets: [],
    });
    expect(result.outcome.kind).toBe("delivered");
    expect(seen).toEqual([
      { webhookId: "w1", deliveryId: "d1", eventId: "e1", eventName: "ping", attempt: 2 },
    ]);
  });
});
