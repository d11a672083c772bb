import * as E from "fp-ts/Either";

import { aFiscalCode } from "../test-support/webhooks";
import { IncomingEvent } from "./events";

describe("IncomingEvent codec", () => {
  it.each([
    { name: "ping", payload: { name: "wh1" } },
    { name: "service:subscribed", payload: { serviceId: "s", fiscalCode: aFiscalCode } },
    { name: "ping:all" },
    { name: "profile:completed", payload: { fiscalCode: aFiscalCode, servicePreferencesMode: "AUTO" } },
    {
      name: "profile:service-preferences-changed",
      payload: {
        fiscalCode: aFiscalCode,
        servicePreferencesMode: "MANUAL",
        oldServicePreferencesMode: "LEGACY",
      },
    },
  ])("decodes $name", (raw) => {
    expect(E.isRight(IncomingEvent.decode(raw))).toBe(true);
  });

  it.each([
    [{ name: "unknown" }],
    [{ name: "ping", payload: {} }],
    [{ name: "ping", payload: { name: "" } }],
    [{ name: "service:subscribed", payload: { serviceId: "s", fiscalCode: "not-a-fiscal-code" } }],
    [
      {
        name: "profile:completed",
        payload: { fiscalCode: aFiscalCode, servicePreferencesMode: "SOMETIMES" },
      },
    ],
    [null],
    ["ping"],
  ])("rejects %j", (raw) => {
    expect(E.isLeft(IncomingEvent.decode(raw))).toBe(true);
  });

  it("drops payload keys the catalogue does not name", () => {
    const decoded = IncomingEvent.decode({
      name: "service:subscribed",
      payload: { serviceId: "s", fiscalCode: aFiscalCode, extra: "dropped" },
      other: 1,
    });
    expect(decoded).toEqual(
      E.right({ name: "service:subscribed", payload: { serviceId: "s", fiscalCode: aFiscalCode } }),
    );
  });
});
