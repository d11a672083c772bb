import { drainTimeoutSeconds } from "./startCommand";

describe("the drain timeout npm start gives the local host", () => {
  it.each([
    [{}, "30"],
    [{ DELIVERY_TIMEOUT_MS: "15000" }, "30"],
    [{ DELIVERY_TIMEOUT_MS: "60000" }, "70"],
    [{ DELIVERY_TIMEOUT_MS: "300000" }, "310"],
    [{ DELIVERY_TIMEOUT_MS: "not a number" }, "30"],
  ])("outlasts any delivery with %j: %s s", (env, expected) => {
    expect(drainTimeoutSeconds(env)).toBe(expected);
  });

  it("refuses a drain timeout shorter than a delivery can take, naming both settings", () => {
    expect(() => drainTimeoutSeconds({ DRAIN_TIMEOUT_SECONDS: "20" })).toThrow(
      "DRAIN_TIMEOUT_SECONDS (20) must be at least 25: DELIVERY_TIMEOUT_MS plus 10 s",
    );
    expect(drainTimeoutSeconds({ DRAIN_TIMEOUT_SECONDS: "25" })).toBe("30");
  });
});
