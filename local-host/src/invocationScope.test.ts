import { DEFAULT_FUNCTION_TIMEOUT_MS, functionTimeoutMs } from "./hostJson";
import { currentInvocation, FunctionTimeoutError, runInvocation } from "./invocationScope";

describe("runInvocation", () => {
  it("fails an invocation that outlives its timeout with an error naming the function", async () => {
    const never = new Promise<never>(() => undefined);
    const failure = await runInvocation("slowOne", 50, () => never).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FunctionTimeoutError);
    expect((failure as Error).message).toMatch(
      /Timeout value of 00:00:00.050 exceeded by function "slowOne"/,
    );
  });

  it("returns the result of an invocation that finishes in time", async () => {
    await expect(runInvocation("quick", 1000, () => Promise.resolve(42))).resolves.toBe(42);
  });

  it("turns a synchronous throw into a rejection", async () => {
    await expect(
      runInvocation("thrower", undefined, () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
  });

  it("names the function in callbacks the invocation scheduled, and no function outside it", async () => {
    const seen = await runInvocation(
      "scheduler",
      undefined,
      () => new Promise((resolve) => setTimeout(() => resolve(currentInvocation()?.functionName), 5)),
    );
    expect(seen).toBe("scheduler");
    expect(currentInvocation()).toBeUndefined();
  });
});

describe("host.json functionTimeout", () => {
  it.each([
    [undefined, DEFAULT_FUNCTION_TIMEOUT_MS],
    ["00:05:00", 300_000],
    ["00:00:01", 1000],
    ["1.02:03:04", ((26 * 60 + 3) * 60 + 4) * 1000],
    ["00:00:01.500", 1500],
    ["-1", undefined],
    [-1, undefined],
  ])("reads %p as %p ms", (value, expected) => {
    expect(functionTimeoutMs(value)).toBe(expected);
  });

  it.each(["5m", "00:00:00", "00:60:00", "1.24:00:00", 300, ""])("refuses %p", (value) => {
    expect(() => functionTimeoutMs(value)).toThrow(/functionTimeout must be a duration/);
  });

  it("defaults to 30 minutes, the Functions host's default outside the Consumption plan", () => {
    expect(DEFAULT_FUNCTION_TIMEOUT_MS).toBe(30 * 60_000);
  });
});
