import { hostApp, type HostedApp, JSON_HTTP_STARTER, pollStatus, startThroughHttp } from "./fidelityHost";

/**
 * Fidelity: Durable Functions features beyond the basic patterns, as an app of its own hosted by the bin: the
 * monitor pattern (a timer loop until a condition holds), a sub-orchestration retried under RetryOptions,
 * callHttp to an HTTP function of the same app, and the status query with showHistory.
 */
const APP = `
const { app } = require("@azure/functions");
const df = require("durable-functions");

let checks = 0;
df.app.activity("checkReady", { handler: () => ++checks >= 3 });

df.app.orchestration("monitor", function* (context) {
  let polls = 0;
  for (;;) {
    polls += 1;
    if (yield context.df.callActivity("checkReady")) return polls;
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 50));
  }
});

let childRuns = 0;
df.app.activity("countRun", { handler: () => ++childRuns });
df.app.orchestration("flakyChild", function* (context) {
  const run = yield context.df.callActivity("countRun");
  if (run < 2) throw new Error("child failed on run " + run);
  return "child ok on run " + run;
});
df.app.orchestration("parentWithRetry", function* (context) {
  const retry = new df.RetryOptions(100, 3);
  return yield context.df.callSubOrchestratorWithRetry("flakyChild", retry);
});

df.app.orchestration("timed", function* (context) {
  const first = yield context.df.callActivity("countRun");
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 50));
  return first;
});

df.app.orchestration("caller", function* (context) {
  const response = yield context.df.callHttp({ method: "GET", url: context.df.getInput() });
  return { statusCode: response.statusCode, content: response.content };
});

app.http("weather", { methods: ["GET"], authLevel: "anonymous", handler: () => ({ jsonBody: { sky: "clear" } }) });

`;

let app: HostedApp;
beforeAll(async () => {
  app = await hostApp(APP + JSON_HTTP_STARTER);
}, 60_000);
afterAll(() => app.stop());

describe("Durable Functions features beyond the basic patterns, hosted by the bin", () => {
  it("monitor: polls on a durable timer until the condition holds", async () => {
    const started = await startThroughHttp(app, "monitor");
    const done = await pollStatus(started.statusQueryGetUri!, app.stderr);
    expect(done.body).toMatchObject({ runtimeStatus: "Completed", output: 3 });
  });

  it("retries a failed sub-orchestration under RetryOptions and returns the run that succeeded", async () => {
    const started = await startThroughHttp(app, "parentWithRetry");
    const done = await pollStatus(started.statusQueryGetUri!, app.stderr);
    expect(done.body).toMatchObject({ runtimeStatus: "Completed", output: "child ok on run 2" });
  });

  it("callHttp: the orchestration gets the HTTP function's status and content", async () => {
    const started = await startThroughHttp(app, "caller", `${app.baseUrl}/weather`);
    const done = await pollStatus(started.statusQueryGetUri!, app.stderr);
    expect(done.body).toMatchObject({ runtimeStatus: "Completed", output: { statusCode: 200 } });
    const output = done.body.output as { content: string };
    expect(JSON.parse(output.content)).toEqual({ sky: "clear" });
  });

  it("shows the history of a finished instance with showHistory=true", async () => {
    const started = await startThroughHttp(app, "timed");
    await pollStatus(started.statusQueryGetUri!, app.stderr);
    const url = new URL(started.statusQueryGetUri!);
    url.searchParams.set("showHistory", "true");
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { historyEvents: Array<{ EventType: string }> };
    const types = body.historyEvents.map((e) => e.EventType);
    expect(types[0]).toBe("ExecutionStarted");
    expect(types).toContain("TaskCompleted");
    expect(types).toContain("TimerFired");
    expect(types[types.length - 1]).toBe("ExecutionCompleted");
  });
});
