import type { BindingInfo, CapturedFunction } from "./functionsCore";
import { assertSupported, unsupportedFeatures } from "./support";

const fn = (
  trigger: BindingInfo,
  others: Readonly<Record<string, BindingInfo>> = {},
  retryOptions?: unknown,
): CapturedFunction => ({
  name: "f",
  metadata: {
    name: "f",
    bindings: { t: trigger, ...others },
    ...(retryOptions === undefined ? {} : { retryOptions }),
  },
  callback: () => undefined,
  trigger: { ...trigger, name: "t" },
});

const http = { type: "httpTrigger", direction: "in" };
const hub = {
  type: "eventHubTrigger",
  direction: "in",
  connection: "EVENTHUB_CONNECTION",
  eventHubName: "io-events",
};
const timer = { type: "timerTrigger", direction: "in", schedule: "0 * * * * *" };
const client = { client: { type: "durableClient", direction: "in" } };
const httpOut = { $return: { type: "http", direction: "out" } };
const retry = { strategy: "fixedDelay", maxRetryCount: 1 };

describe("unsupportedFeatures", () => {
  it.each<[string, CapturedFunction]>([
    ["HTTP with its $return http output and a durable client", fn(http, { ...httpOut, ...client })],
    ["an Event Hub trigger with a durable client", fn(hub, client)],
    [
      "its own connection, hub and consumer group (resolved per trigger by eventHubTriggers.ts)",
      fn({ ...hub, connection: "OTHER", eventHubName: "%HUB%", consumerGroup: "audit" }),
    ],
    ["cardinality many and dataType string", fn({ ...hub, cardinality: "many", dataType: "string" })],
    ["a timer with a durable client and a retry policy", fn(timer, client, retry)],
    ["an Event Hub trigger with a retry policy", fn(hub, {}, retry)],
    ["an orchestration", fn({ type: "orchestrationTrigger", direction: "in" })],
    ["an activity", fn({ type: "activityTrigger", direction: "in" })],
    ["an activity with a durable client", fn({ type: "activityTrigger", direction: "in" }, client)],
    ["an entity", fn({ type: "entityTrigger", direction: "in" })],
  ])("accepts %s", (_what, f) => {
    expect(unsupportedFeatures(f)).toEqual([]);
  });

  it.each<[string, CapturedFunction, RegExp]>([
    ["a queue trigger", fn({ type: "queueTrigger", direction: "in" }), /trigger queueTrigger/],
    [
      "a storage blob input",
      fn(http, { blob: { type: "blob", direction: "in" } }),
      /input binding blob "blob"/,
    ],
    [
      "a queue output",
      fn(http, { ...httpOut, q: { type: "queue", direction: "out" } }),
      /output binding queue "q"/,
    ],
    [
      "a $return output of an Event Hub function",
      fn(hub, { $return: { type: "eventHub", direction: "out" } }),
      /output binding eventHub \(\$return\)/,
    ],
    [
      "an http output not on $return",
      fn(http, { res: { type: "http", direction: "out" } }),
      /output binding http "res"/,
    ],
    ["binary event bodies", fn({ ...hub, dataType: "binary" }), /dataType "binary"/],
    ["a retry policy on an HTTP trigger", fn(http, httpOut, retry), /retry policy on httpTrigger/],
  ])("refuses %s", (_what, f, problem) => {
    expect(unsupportedFeatures(f)).toEqual([expect.stringMatching(problem)]);
  });
});

describe("assertSupported", () => {
  it("refuses the app with every problem, each naming its function", () => {
    const queue = { ...fn({ type: "queueTrigger", direction: "in" }), name: "fromQueue" };
    const blob = { ...fn(http, { b: { type: "blob", direction: "in" } }), name: "withBlob" };
    expect(() => assertSupported([queue, blob, fn(http, httpOut)])).toThrow(
      /function "fromQueue": trigger queueTrigger[\s\S]*function "withBlob": input binding blob "b"/,
    );
  });

  it("passes an app the host can run", () => {
    expect(() => assertSupported([fn(http, httpOut), fn(timer)])).not.toThrow();
  });
});
