import * as fc from "fast-check";
import * as E from "fp-ts/Either";

import { aFiscalCode, originalWebhooks, wh1, wh2, wh3 } from "../test-support/webhooks";
import { deliveryId, planDeliveries } from "./deliveryPlan";
import { IncomingEvent, PUBLIC_EVENT_NAMES, type PublicEventName } from "./events";
import { type Webhook } from "./webhook";

const decode = (raw: unknown): IncomingEvent => {
  const decoded = IncomingEvent.decode(raw);
  if (E.isLeft(decoded)) throw new Error("test event does not decode");
  return decoded.right;
};

const plan = (raw: unknown, webhooks: ReadonlyArray<Webhook> = originalWebhooks) =>
  planDeliveries("event-1", decode(raw), webhooks).map((d) => ({ to: d.webhookId, body: d.message }));

describe("the original IO dispatcher's scenarios, as domain cases", () => {
  it("delivers a ping for wh1 to wh1 only, without the name attribute in the payload", () => {
    expect(plan({ name: "ping", payload: { name: "wh1" } })).toEqual([
      { to: "wh1", body: { name: "ping", payload: {} } },
    ]);
  });

  it("delivers a ping for wh2 to wh2 only", () => {
    expect(plan({ name: "ping", payload: { name: "wh2" } })).toEqual([
      { to: "wh2", body: { name: "ping", payload: {} } },
    ]);
  });

  it("delivers ping:all to every webhook with a name attribute subscribed to ping", () => {
    expect(plan({ name: "ping:all" })).toEqual([
      { to: "wh1", body: { name: "ping", payload: {} } },
      { to: "wh2", body: { name: "ping", payload: {} } },
    ]);
    expect(plan({ name: "ping:all", payload: {} })).toHaveLength(2);
  });

  it("delivers service:subscribed for a mapped serviceId to its webhook with payload {fiscalCode}", () => {
    expect(
      plan({
        name: "service:subscribed",
        payload: { serviceId: "aServiceId12345", fiscalCode: aFiscalCode },
      }),
    ).toEqual([{ to: "wh2", body: { name: "service:subscribed", payload: { fiscalCode: aFiscalCode } } }]);
  });

  it("delivers service:subscribed for an unmapped serviceId to nobody", () => {
    expect(
      plan({ name: "service:subscribed", payload: { serviceId: "unmapped", fiscalCode: aFiscalCode } }),
    ).toEqual([]);
  });

  it.each([
    { name: "profile:completed", payload: { fiscalCode: aFiscalCode, servicePreferencesMode: "AUTO" } },
    {
      name: "profile:service-preferences-changed",
      payload: {
        fiscalCode: aFiscalCode,
        servicePreferencesMode: "AUTO",
        oldServicePreferencesMode: "MANUAL",
      },
    },
  ])("remaps $name with AUTO to service:subscribed for wh2 and wh3", (event) => {
    const expected = { name: "service:subscribed", payload: { fiscalCode: aFiscalCode } };
    expect(plan(event)).toEqual([
      { to: "wh2", body: expected },
      { to: "wh3", body: expected },
    ]);
  });

  it.each(["MANUAL", "LEGACY"])("remaps profile events with %s to nothing", (mode) => {
    expect(
      plan({ name: "profile:completed", payload: { fiscalCode: aFiscalCode, servicePreferencesMode: mode } }),
    ).toEqual([]);
    expect(
      plan({
        name: "profile:service-preferences-changed",
        payload: { fiscalCode: aFiscalCode, servicePreferencesMode: mode, oldServicePreferencesMode: "AUTO" },
      }),
    ).toEqual([]);
  });

  it("never delivers to a disabled webhook", () => {
    const disabled = originalWebhooks.map((w) => ({ ...w, disabled: true }));
    expect(plan({ name: "ping:all" }, disabled)).toEqual([]);
    expect(plan({ name: "ping", payload: { name: "wh1" } }, disabled)).toEqual([]);
    expect(
      plan(
        { name: "profile:completed", payload: { fiscalCode: aFiscalCode, servicePreferencesMode: "AUTO" } },
        [wh1, { ...wh2, disabled: true }, wh3],
      ).map((d) => d.to),
    ).toEqual(["wh3"]);
  });

  it("delivers ping:all once per webhook even when two webhooks share a name", () => {
    const twin = { ...wh1, id: "wh1-twin" };
    expect(plan({ name: "ping:all" }, [wh1, twin]).map((d) => d.to)).toEqual(["wh1", "wh1-twin"]);
  });
});

describe("delivery ids", () => {
  it("are deterministic per (event, webhook, index) and differ otherwise", () => {
    expect(deliveryId("e", "w", 0)).toBe(deliveryId("e", "w", 0));
    expect(
      new Set([
        deliveryId("e", "w", 0),
        deliveryId("e", "w", 1),
        deliveryId("e2", "w", 0),
        deliveryId("e", "w2", 0),
      ]).size,
    ).toBe(4);
    expect(deliveryId("e", "w", 0)).toMatch(/^msg_[A-Za-z0-9_-]{27}$/);
  });

  it("carry the fiscal code as the subject of service:subscribed deliveries", () => {
    const [delivery] = planDeliveries(
      "e",
      decode({
        name: "service:subscribed",
        payload: { serviceId: "aServiceId12345", fiscalCode: aFiscalCode },
      }),
      [wh2],
    );
    expect(delivery?.subject).toBe(aFiscalCode);
  });
});

// Property tests over arbitrary webhook sets and events.
const attributeValue = fc.constantFrom("a", "b", "c");
const arbitraryWebhook = fc.record({
  id: fc.uuid(),
  url: fc.constant("https://receiver.example/"),
  subscriptions: fc.subarray([...PUBLIC_EVENT_NAMES] as PublicEventName[], { minLength: 1 }),
  attributes: fc.dictionary(fc.constantFrom("name", "serviceId", "fiscalCode", "other"), attributeValue),
  headers: fc.constant({}),
  disabled: fc.boolean(),
});
const arbitraryEvent = fc.oneof(
  fc.record({ name: fc.constant("ping"), payload: fc.record({ name: attributeValue }) }),
  fc.record({
    name: fc.constant("service:subscribed"),
    payload: fc.record({ serviceId: attributeValue, fiscalCode: fc.constant(aFiscalCode) }),
  }),
  fc.constant({ name: "ping:all" }),
  fc.record({
    name: fc.constant("profile:completed"),
    payload: fc.record({
      fiscalCode: fc.constant(aFiscalCode),
      servicePreferencesMode: fc.constantFrom("AUTO", "MANUAL", "LEGACY"),
    }),
  }),
);

describe("routing invariants (property tests)", () => {
  it("never delivers a payload holding a key that is one of the webhook's attributes", () => {
    fc.assert(
      fc.property(fc.array(arbitraryWebhook, { maxLength: 6 }), arbitraryEvent, (webhooks, raw) => {
        const byId = new Map(webhooks.map((w) => [w.id, w]));
        for (const d of planDeliveries("e", decode(raw), webhooks)) {
          const attributes = byId.get(d.webhookId)?.attributes ?? {};
          expect(Object.keys(d.message.payload).filter((k) => k in attributes)).toEqual([]);
        }
      }),
    );
  });

  it("never targets a disabled webhook or one not subscribed to the delivered event", () => {
    fc.assert(
      fc.property(fc.array(arbitraryWebhook, { maxLength: 6 }), arbitraryEvent, (webhooks, raw) => {
        const byId = new Map(webhooks.map((w) => [w.id, w]));
        for (const d of planDeliveries("e", decode(raw), webhooks)) {
          const webhook = byId.get(d.webhookId);
          expect(webhook?.disabled).toBe(false);
          expect(webhook?.subscriptions).toContain(d.message.name);
        }
      }),
    );
  });

  it("gives every delivery of a plan a distinct id", () => {
    fc.assert(
      fc.property(fc.array(arbitraryWebhook, { maxLength: 6 }), arbitraryEvent, (webhooks, raw) => {
        const ids = planDeliveries("e", decode(raw), webhooks).map((d) => d.id);
        expect(new Set(ids).size).toBe(ids.length);
      }),
    );
  });
});

describe("wh3 sanity", () => {
  it("is subscribed to service:subscribed only", () => {
    expect(plan({ name: "ping", payload: { name: "wh3" } }, [wh3])).toEqual([]);
  });
});
