import { parseNcrontab } from "./timerHost";

describe("NCRONTAB schedules (timer triggers in the local runtime)", () => {
  it("matches the delivery-log retention schedule at 03:30:00 UTC only", () => {
    const due = parseNcrontab("0 30 3 * * *");
    expect(due(new Date("2026-01-01T03:30:00.000Z"))).toBe(true);
    expect(due(new Date("2026-01-01T03:30:01.000Z"))).toBe(false);
    expect(due(new Date("2026-01-01T04:30:00.000Z"))).toBe(false);
  });

  it("supports steps, ranges, lists and five-field expressions", () => {
    expect(parseNcrontab("*/15 * * * * *")(new Date("2026-01-01T00:00:45Z"))).toBe(true);
    expect(parseNcrontab("*/15 * * * * *")(new Date("2026-01-01T00:00:44Z"))).toBe(false);
    expect(parseNcrontab("0 0 9-17 * * 1-5")(new Date("2026-01-05T10:00:00Z"))).toBe(true); // a Monday
    expect(parseNcrontab("0 0 9-17 * * 1-5")(new Date("2026-01-04T10:00:00Z"))).toBe(false); // a Sunday
    expect(parseNcrontab("5,35 * * * *")(new Date("2026-01-01T00:35:00Z"))).toBe(true);
  });

  it("refuses malformed expressions with the offending field", () => {
    expect(() => parseNcrontab("0 61 * * * *")).toThrow(/"61"/);
    expect(() => parseNcrontab("* * *")).toThrow(/not an NCRONTAB/);
  });
});
