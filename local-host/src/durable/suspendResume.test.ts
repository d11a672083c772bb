import { captureDurable, type Harness, startHarness } from "./testHarness";
import { waitForCompletion } from "./testWait";

/** Suspend / resume through the real client, and the status query's historyEvents. */
describe("durable suspend, resume and history", () => {
  let release: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (release = resolve));
  let gatedRuns = 0;
  const shim = captureDurable((df) => {
    df.app.activity("waitForGate", {
      handler: async (n: unknown) => {
        gatedRuns++;
        return gate.then(() => Number(n) + 1);
      },
    });
    df.app.activity("greet", { handler: (name: unknown) => `Hello ${String(name)}` });
    df.app.orchestration("gatedThenEvent", function* (context) {
      const n = (yield context.df.callActivity("waitForGate", 1)) as number;
      const ok = (yield context.df.waitForExternalEvent("go")) as boolean;
      return { n, ok };
    });
    df.app.orchestration("greeter", function* (context) {
      const a = (yield context.df.callActivity("greet", "Tokyo")) as string;
      const b = (yield context.df.callSubOrchestrator("child", "x", "greeter-child")) as string;
      return [a, b];
    });
    df.app.orchestration("child", function* (context) {
      yield* [];
      return `child ${context.df.getInput<string>()}`;
    });
  });

  let h: Harness;
  beforeEach(async () => {
    gate = new Promise<void>((resolve) => (release = resolve));
    gatedRuns = 0;
    h = await startHarness(shim);
  });
  afterEach(async () => {
    release();
    await h.close();
  });

  const eventually = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
  };

  it("reports Suspended, holds results and events that arrive meanwhile, and continues once resumed", async () => {
    const id = await h.client.startNew("gatedThenEvent");
    await eventually(async () => String((await h.client.getStatus(id)).runtimeStatus) === "Running");
    await h.client.suspend(id, "maintenance");
    await eventually(async () => String((await h.client.getStatus(id)).runtimeStatus) === "Suspended");
    release(); // the activity result arrives while suspended
    await h.client.raiseEvent(id, "go", true);
    expect((await waitForCompletion(h, id, 300)).status).toBe(202); // not done: the check status response
    expect((await h.client.getStatus(id)).runtimeStatus).toBe("Suspended");

    await h.restart(); // held results survive: they are still in the inbox, so the activity does not run again
    expect((await waitForCompletion(h, id, 300)).status).toBe(202);
    expect((await h.client.getStatus(id)).runtimeStatus).toBe("Suspended");
    await h.client.resume(id, "done");
    expect(await waitForCompletion(h, id)).toEqual({ status: 200, body: { n: 2, ok: true } });
    expect(gatedRuns).toBe(1);

    const url = `${h.baseUrl}/runtime/webhooks/durabletask/instances/${id}?showHistory=true`;
    const { historyEvents } = (await (await fetch(url)).json()) as {
      historyEvents: Array<{ EventType: string }>;
    };
    const types = historyEvents.map((e) => e.EventType);
    // Held events keep their arrival order in history; the orchestrator only saw them after the resume.
    expect(types).toEqual([
      "ExecutionStarted",
      "ExecutionSuspended",
      "TaskCompleted",
      "EventRaised",
      "ExecutionResumed",
      "ExecutionCompleted",
    ]);
    expect(historyEvents.find((e) => e.EventType === "ExecutionSuspended")).toMatchObject({
      Reason: "maintenance",
    });
  });

  it("answers suspend and resume of a finished instance with 410 and of an unknown one with 404", async () => {
    const id = await h.client.startNew("child", { input: "y" });
    await waitForCompletion(h, id);
    await expect(h.client.suspend(id, "late")).resolves.toBeUndefined(); // 410
    expect((await h.client.getStatus(id)).runtimeStatus).toBe("Completed");
    await expect(h.client.resume("nope", "x")).rejects.toThrow(/No instance/);
  });

  it("returns historyEvents shaped as the extension's, with results only when showHistoryOutput", async () => {
    const id = await h.client.startNew("greeter", { input: "in" });
    await waitForCompletion(h, id);
    const base = `${h.baseUrl}/runtime/webhooks/durabletask/instances/${id}?showHistory=true`;
    const read = async (query: string) =>
      ((await (await fetch(`${base}${query}`)).json()) as { historyEvents: Array<Record<string, unknown>> })
        .historyEvents;
    const withOutput = await read("&showHistoryOutput=true");
    const strip = (e: Record<string, unknown>) => {
      const { Timestamp, ScheduledTime: _scheduled, ...rest } = e;
      expect(typeof Timestamp).toBe("string");
      return rest;
    };
    expect(withOutput.map(strip)).toEqual([
      { EventType: "ExecutionStarted", FunctionName: "greeter", Input: '"in"' },
      { EventType: "TaskCompleted", FunctionName: "greet", Input: '"Tokyo"', Result: "Hello Tokyo" },
      {
        EventType: "SubOrchestrationInstanceCompleted",
        FunctionName: "child",
        Input: '"x"',
        Result: "child x",
      },
      {
        EventType: "ExecutionCompleted",
        OrchestrationStatus: "Completed",
        Result: ["Hello Tokyo", "child x"],
      },
    ]);
    expect(typeof withOutput[1]?.ScheduledTime).toBe("string");
    const withoutOutput = await read("&showInput=false");
    expect(withoutOutput.some((e) => "Result" in e || "Input" in e)).toBe(false);
    // durable-functions 3.5.0's client reads `history`, not `historyEvents` (Azure/azure-functions-durable-js#620).
    const status = await h.client.getStatus(id, { showHistory: true, showHistoryOutput: true });
    expect(status.runtimeStatus).toBe("Completed");
  });
});
