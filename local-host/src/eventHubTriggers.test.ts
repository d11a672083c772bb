import { resolveEventHubTrigger } from "./eventHubTriggers";
import type { CapturedFunction } from "./functionsCore";

/** An Event Hub trigger's own options resolved against the app settings, as the Functions host resolves them. */
const trigger = (options: Record<string, unknown>): CapturedFunction => ({
  name: "onEvents",
  metadata: { name: "onEvents", bindings: {} },
  callback: () => undefined,
  trigger: { type: "eventHubTrigger", name: "events", direction: "in", ...options },
});

const REAL = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=s";
const EMULATOR =
  "Endpoint=sb://localhost;SharedAccessKeyName=a;SharedAccessKey=b;UseDevelopmentEmulator=true";

describe("Event Hub trigger options", () => {
  it("resolves %Setting% expressions in eventHubName and consumerGroup from the app settings", () => {
    const source = resolveEventHubTrigger(
      trigger({ connection: "HUB", eventHubName: "%HUB_NAME%-v2", consumerGroup: "%GROUP%" }),
      { HUB: REAL, HUB_NAME: "orders", GROUP: "billing" },
    );
    expect(source).toMatchObject({
      connectionSetting: "HUB",
      connection: { kind: "external", value: REAL },
      eventHubName: "orders-v2",
      consumerGroup: "billing",
    });
  });

  it("refuses an unresolved %Setting%, naming the function and the setting", () => {
    expect(() =>
      resolveEventHubTrigger(trigger({ connection: "HUB", eventHubName: "%MISSING_HUB%" }), { HUB: REAL }),
    ).toThrow(
      "Function 'onEvents': eventHubName '%MISSING_HUB%' needs app setting MISSING_HUB, which is not set",
    );
    expect(() =>
      resolveEventHubTrigger(trigger({ connection: "HUB", eventHubName: "a", consumerGroup: "%G%" }), {
        HUB: REAL,
        G: "",
      }),
    ).toThrow(/Function 'onEvents': consumerGroup '%G%' needs app setting G/);
  });

  it("takes the hub from the connection string's EntityPath when eventHubName is absent, and $default", () => {
    const source = resolveEventHubTrigger(trigger({ connection: "HUB" }), {
      HUB: `${REAL};EntityPath=audit`,
    });
    expect(source).toMatchObject({ eventHubName: "audit", consumerGroup: "$default" });
    expect(() =>
      resolveEventHubTrigger(trigger({ connection: "HUB", eventHubName: "orders" }), {
        HUB: `${REAL};EntityPath=audit`,
      }),
    ).toThrow(/eventHubName 'orders' differs from EntityPath 'audit' of HUB/);
    expect(() => resolveEventHubTrigger(trigger({ connection: "HUB" }), { HUB: REAL })).toThrow(
      /Function 'onEvents': no Event Hub/,
    );
  });

  it("serves an unset, empty or development-emulator connection setting from the embedded endpoint", () => {
    for (const HUB of [undefined, "", EMULATOR])
      expect(
        resolveEventHubTrigger(trigger({ connection: "HUB", eventHubName: "a" }), { HUB }).connection,
      ).toEqual({
        kind: "embedded",
      });
  });

  it("refuses an identity-based connection to a real namespace, and serves a local one from the endpoint", () => {
    const fn = trigger({ connection: "HUB", eventHubName: "a" });
    expect(() =>
      resolveEventHubTrigger(fn, { HUB__fullyQualifiedNamespace: "ns.servicebus.windows.net" }),
    ).toThrow(/Function 'onEvents': connection 'HUB' is identity-based .*set HUB to a connection string/);
    expect(resolveEventHubTrigger(fn, { HUB__fullyQualifiedNamespace: "localhost:5672" }).connection).toEqual(
      {
        kind: "embedded",
      },
    );
  });

  it("refuses a trigger without a connection setting name", () => {
    expect(() => resolveEventHubTrigger(trigger({ eventHubName: "a" }), {})).toThrow(
      /Function 'onEvents': an Event Hub trigger needs a connection/,
    );
  });
});
