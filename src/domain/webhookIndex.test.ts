import * as fc from "fast-check";

import { aFiscalCode, originalWebhooks } from "../test-support/webhooks";
import { PUBLIC_EVENT_NAMES, type PublicEvent, type PublicEventName } from "./events";
import { route } from "./routing";
import { indexWebhooks, routeIndexed } from "./webhookIndex";

const value = fc.constantFrom("a", "b", "c");
const arbitraryWebhook = fc.record({
  id: fc.uuid(),
  url: fc.constant("https://receiver.example/"),
  subscriptions: fc.array(fc.constantFrom(...(PUBLIC_EVENT_NAMES as PublicEventName[])), {
    minLength: 1,
    maxLength: 3,
  }),
  attributes: fc.dictionary(fc.constantFrom("name", "serviceId", "fiscalCode", "other"), value),
  headers: fc.constant({}),
  disabled: fc.boolean(),
});
const arbitraryPublicEvent: fc.Arbitrary<PublicEvent> = fc.oneof(
  value.map((name) => ({ name: "ping", payload: { name } }) as PublicEvent),
  value.map(
    (serviceId) =>
      ({ name: "service:subscribed", payload: { serviceId, fiscalCode: aFiscalCode } }) as PublicEvent,
  ),
);

describe("webhook index", () => {
  it("routes exactly as the plain routing pipeline does, in the same order (property)", () => {
    fc.assert(
      fc.property(fc.array(arbitraryWebhook, { maxLength: 12 }), arbitraryPublicEvent, (webhooks, event) => {
        expect(routeIndexed(event, indexWebhooks(webhooks))).toEqual(route(event, webhooks));
      }),
      { numRuns: 500 },
    );
  });

  it("lists distinct attribute values of enabled webhooks only, in webhook order", () => {
    const index = indexWebhooks([
      ...originalWebhooks,
      { ...originalWebhooks[0]!, id: "off", disabled: true, attributes: { name: "off" } },
    ]);
    expect(index.distinctValues("name")).toEqual(["wh1", "wh2"]);
    expect(index.distinctValues("serviceId")).toEqual(["aServiceId12345", "aServiceId09876"]);
  });

  it("finds one webhook among 100,000 by lookup", () => {
    const many = Array.from({ length: 100_000 }, (_, i) => ({
      ...originalWebhooks[0]!,
      id: `wh${i}`,
      attributes: { name: `name-${i}` },
    }));
    const routed = routeIndexed(
      { name: "ping", payload: { name: "name-99999" } } as PublicEvent,
      indexWebhooks(many),
    );
    expect(routed.map((r) => r.webhook.id)).toEqual(["wh99999"]);
  });
});
