import { OrchestrationRuntimeStatus } from "durable-functions";

import { captureDurable, type Harness, startHarness } from "./testHarness";

/** The durable HTTP API as durable-functions' own DurableClient uses it (client binding -> rpcBaseUrl). */
describe("durable HTTP API through df.getClient", () => {
  let release: (value: string) => void = () => undefined;
  let gate = new Promise<string>((resolve) => (release = resolve));

  const shim = captureDurable((df) => {
    df.app.activity("waitForGate", { handler: () => gate });
    df.app.orchestration("gated", function* (context) {
      context.df.setCustomStatus({ stage: "waiting" });
      const value = (yield context.df.callActivity("waitForGate")) as string;
      return { value, input: context.df.getInput<unknown>() };
    });
    df.app.orchestration("approval", function* (context) {
      const decision = (yield context.df.waitForExternalEvent("approve")) as { ok: boolean };
      return decision.ok ? "approved" : "rejected";
    });
  });

  let h: Harness;
  beforeEach(async () => {
    gate = new Promise<string>((resolve) => (release = resolve));
    h = await startHarness(shim);
  });
  afterEach(async () => {
    release("released");
    await h.close();
  });

  it("starts an instance under a given id and reports Running, then Completed with its output", async () => {
    const id = await h.client.startNew("gated", { instanceId: "batch-1", input: { n: 1 } });
    expect(id).toBe("batch-1");
    const running = await h.client.getStatus(id);
    expect(["Pending", "Running"]).toContain(running.runtimeStatus);
    expect(running.input).toEqual({ n: 1 });
    release("done");
    await h.runtime.whenIdle(10_000);
    const done = await h.client.getStatus(id);
    expect(done).toMatchObject({ runtimeStatus: "Completed", output: { value: "done", input: { n: 1 } } });
    expect(done.customStatus).toEqual({ stage: "waiting" });
    expect(done.lastUpdatedTime.getTime()).toBeGreaterThanOrEqual(done.createdTime.getTime());
  });

  it("starts nothing new for an id that is still running (409), and restarts a finished one", async () => {
    await h.client.startNew("gated", { instanceId: "dup", input: 1 });
    await expect(h.client.startNew("gated", { instanceId: "dup", input: 2 })).rejects.toThrow(/409/);
    release("first");
    await h.runtime.whenIdle(10_000);
    expect((await h.client.getStatus("dup")).output).toEqual({ value: "first", input: 1 });
    // Failure policy (as the Durable extension's default): a finished instance id may be started again.
    await h.client.startNew("gated", { instanceId: "dup", input: 3 });
    await h.runtime.whenIdle(10_000);
    expect((await h.client.getStatus("dup")).output).toEqual({ value: "first", input: 3 });
  });

  it("lists instances, filtered by runtime status", async () => {
    await h.client.startNew("gated", { instanceId: "a" });
    await h.client.startNew("approval", { instanceId: "b" });
    await h.client.raiseEvent("b", "approve", { ok: true });
    release("x");
    await h.runtime.whenIdle(10_000);
    const all = await h.client.getStatusAll();
    expect(all.map((s) => s.instanceId).sort()).toEqual(["a", "b"]);
    const completed = await h.client.getStatusBy({ runtimeStatus: [OrchestrationRuntimeStatus.Completed] });
    expect(completed.map((s) => s.instanceId).sort()).toEqual(["a", "b"]);
    expect(await h.client.getStatusBy({ runtimeStatus: [OrchestrationRuntimeStatus.Running] })).toEqual([]);
  });

  it("hands a raised event to the orchestrator waiting for it", async () => {
    const id = await h.client.startNew("approval");
    await h.client.raiseEvent(id, "approve", { ok: false });
    await h.runtime.whenIdle(10_000);
    expect((await h.client.getStatus(id)).output).toBe("rejected");
  });

  it("terminates a running instance, then purges its history", async () => {
    const id = await h.client.startNew("gated");
    await h.client.terminate(id, "operator said so");
    await h.runtime.whenIdle(10_000);
    const status = await h.client.getStatus(id);
    expect(status).toMatchObject({ runtimeStatus: "Terminated", output: "operator said so" });
    await expect(h.client.raiseEvent(id, "approve", {})).resolves.toBeUndefined(); // 410: finished
    const purged = await h.client.purgeInstanceHistory(id);
    expect(purged.instancesDeleted).toBe(1);
    await expect(h.client.getStatus(id)).rejects.toThrow(/404/);
    expect((await h.client.purgeInstanceHistory(id)).instancesDeleted).toBe(0);
  });

  it("rejects instance ids that cannot be partition keys, and unknown orchestrators", async () => {
    const post = (path: string) =>
      fetch(`${h.baseUrl}/runtime/webhooks/durabletask/${path}`, { method: "POST" });
    expect((await post("orchestrators/gated/a%23b")).status).toBe(400);
    expect((await post("orchestrators/nope")).status).toBe(400);
    await expect(h.client.startNew("nope")).rejects.toThrow(/400/);
  });

  it("answers 404 for an unknown instance and leaves foreign paths alone", async () => {
    await expect(h.client.getStatus("nope")).rejects.toThrow(/404/);
    await expect(h.client.terminate("nope", "x")).rejects.toThrow(/No instance/);
    const response = await fetch(`${h.baseUrl}/api/other`);
    expect(response.status).toBe(404);
  });
});
