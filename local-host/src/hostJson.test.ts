import { resolveTaskHub } from "./hostJson";

describe("the task hub name in host.json", () => {
  it("resolves %Setting% expressions from the app settings", () => {
    expect(resolveTaskHub("%DURABLE_TASK_HUB%", { DURABLE_TASK_HUB: "DispatcherProd" })).toBe(
      "DispatcherProd",
    );
    expect(resolveTaskHub("Hub%ENV%", { ENV: "dev" })).toBe("Hubdev");
    expect(resolveTaskHub("TestHubName", {})).toBe("TestHubName");
  });

  it.each([
    ["%DURABLE_TASK_HUB%", {}, "needs app setting DURABLE_TASK_HUB, which is not set"],
    ["%DURABLE_TASK_HUB%", { DURABLE_TASK_HUB: "" }, "needs app setting DURABLE_TASK_HUB, which is not set"],
    ["%HUB%", { HUB: "has-dash" }, "must be 3-45 letters and digits starting with a letter"],
    ["x", {}, "must be 3-45 letters and digits starting with a letter"],
  ])("refuses %s with %j", (name, settings, message) => {
    expect(() => resolveTaskHub(name, settings)).toThrow(message);
  });
});
