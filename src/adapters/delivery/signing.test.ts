import { Webhook } from "standardwebhooks";

import { signatureHeaders } from "./signing";

const CURRENT = "whsec_" + Buffer.from("current-secret-current-secret-32").toString("base64");
const PREVIOUS = "whsec_" + Buffer.from("previous-secret-previous-secret!").toString("base64");
const body = JSON.stringify({ name: "ping", payload: { name: "x" } });

describe("signatureHeaders", () => {
  it("produces the three Standard Webhooks headers with unix-second timestamps", () => {
    const at = new Date("2026-11-25T10:00:00.999Z");
    const headers = signatureHeaders("dlv_1", at, body, [CURRENT]);
    expect(Object.keys(headers)).toEqual(["webhook-id", "webhook-timestamp", "webhook-signature"]);
    expect(headers["webhook-id"]).toBe("dlv_1");
    expect(headers["webhook-timestamp"]).toBe(String(Date.parse("2026-11-25T10:00:00Z") / 1000));
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  it("verifies with the receiver library, and fails for a tampered body, id or wrong secret", () => {
    const headers = signatureHeaders("dlv_1", new Date(), body, [CURRENT]);
    expect(new Webhook(CURRENT).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(CURRENT).verify(body.replace("x", "y"), headers)).toThrow();
    expect(() => new Webhook(CURRENT).verify(body, { ...headers, "webhook-id": "dlv_2" })).toThrow();
    expect(() => new Webhook(PREVIOUS).verify(body, headers)).toThrow();
  });

  it("signs with every secret during a rotation, current first", () => {
    const at = new Date();
    const headers = signatureHeaders("dlv_1", at, body, [CURRENT, PREVIOUS]);
    const [first, second] = headers["webhook-signature"].split(" ");
    expect(first).toBe(signatureHeaders("dlv_1", at, body, [CURRENT])["webhook-signature"]);
    expect(second).toBe(signatureHeaders("dlv_1", at, body, [PREVIOUS])["webhook-signature"]);
    expect(new Webhook(CURRENT).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(PREVIOUS).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("signs the same bytes as standardwebhooks' own sign, non-ASCII bodies included", () => {
    const at = new Date("2026-11-25T10:00:00.500Z");
    for (const text of [body, JSON.stringify({ name: "ping", payload: { city: "Forlì", emoji: "✓" } })]) {
      expect(signatureHeaders("dlv_9", at, text, [CURRENT])["webhook-signature"]).toBe(
        new Webhook(CURRENT).sign("dlv_9", at, text),
      );
    }
  });

  it("refuses a secret standardwebhooks would refuse", () => {
    expect(() => signatureHeaders("dlv_1", new Date(), body, ["whsec_not*base64"])).toThrow();
  });

  it("refuses to send unsigned", () => {
    expect(() => signatureHeaders("dlv_1", new Date(), body, [])).toThrow(/signing secret/);
  });
});
