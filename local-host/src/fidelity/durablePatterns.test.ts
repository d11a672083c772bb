import { hostApp, type HostedApp, JSON_HTTP_STARTER, pollStatus, startThroughHttp } from "./fidelityHost";

/**
 * Fidelity: the application patterns of Microsoft's Durable Functions documentation (fan-out/fan-in, human
 * interaction with an external event racing a timer, an eternal orchestration with continueAsNew, terminate and
 * purge), as an app of its own hosted by the bin and driven through its HTTP starter and the management URLs of
 * createCheckStatusResponse, as the documentation drives them.
 */
const APP = `
const { app } = require("@azure/functions");
const df = require("durable-functions");

df.app.activity("getWorkItems", { handler: (count) => Array.from({ length: count }, (_, i) => i + 1) });
df.app.activity("square", { handler: (n) => n * n });

df.app.orchestration("fanOutFanIn", function* (context) {
  const items = yield context.df.callActivity("getWorkItems", context.df.getInput());
  const results = yield context.df.Task.all(items.map((n) => context.df.callActivity("square", n)));
  return results.reduce((a, b) => a + b, 0);
});

df.app.orchestration("approval", function* (context) {
  const deadline = new Date(context.df.currentUtcDateTime.getTime() + context.df.getInput().timeoutMs);
  const timer = context.df.createTimer(deadline);
  const approved = context.df.waitForExternalEvent("Approval");
  const winner = yield context.df.Task.any([approved, timer]);
  if (winner === approved) {
    timer.cancel();
    return "approved:" + approved.result;
  }
  return "escalated";
});

df.app.orchestration("eternalCounter", function* (context) {
  const n = context.df.getInput();
  if (n >= 5) return n;
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 10));
  context.df.continueAsNew(n + 1);
});

df.app.orchestration("waitsForever", function* (context) {
  yield context.df.waitForExternalEvent("never");
});

`;

let app: HostedApp;
beforeAll(async () => {
  app = await hostApp(APP + JSON_HTTP_STARTER);
}, 60_000);
afterAll(() => app.stop());

const urlOf = (template: string, values: Record<string, string>): string =>
  Object.entries(values).reduce(
    (url, [key, value]) => url.replace(`{${key}}`, encodeURIComponent(value)),
    template,
  );

describe("Durable Functions application patterns, hosted by the bin", () => {
  it("fan-out/fan-in: runs the activities in parallel and aggregates their results", async () => {
    const started = await startThroughHttp(app, "fanOutFanIn", 10);
    const done = await pollStatus(started.statusQueryGetUri!, app.stderr);
    expect(done).toMatchObject({ httpStatus: 200, body: { runtimeStatus: "Completed", output: 385 } });
  });

  it("human interaction: an event raised through sendEventPostUri wins the race against the timer", async () => {
    const started = await startThroughHttp(app, "approval", { timeoutMs: 60_000 });
    const raise = await fetch(urlOf(started.sendEventPostUri!, { eventName: "Approval" }), {
      method: "POST",
      body: JSON.stringify("alice"),
      headers: { "content-type": "application/json" },
    });
    expect(raise.status).toBe(202);
    const done = await pollStatus(started.statusQueryGetUri!, app.stderr);
    expect(done.body).toMatchObject({ runtimeStatus: "Completed", output: "approved:alice" });
  });

  it("human interaction: without the event the timer wins and the orchestration escalates", async () => {
    const started = await startThroughHttp(app, "approval", { timeoutMs: 300 });
    const done = await pollStatus(started.statusQueryGetUri!, app.stderr);
    expect(done.body).toMatchObject({ runtimeStatus: "Completed", output: "escalated" });
  });

  it("eternal orchestration: continueAsNew restarts it with the new input until it returns", async () => {
    const started = await startThroughHttp(app, "eternalCounter", 0);
    const done = await pollStatus(started.statusQueryGetUri!, app.stderr);
    expect(done.body).toMatchObject({ runtimeStatus: "Completed", output: 5 });
  });

  it("terminate then purge through the management URLs; raising an event afterwards is 410, then 404", async () => {
    const started = await startThroughHttp(app, "waitsForever");
    const terminate = await fetch(urlOf(started.terminatePostUri!, { text: "operator" }), { method: "POST" });
    expect(terminate.status).toBe(202);
    const done = await pollStatus(started.statusQueryGetUri!, app.stderr);
    expect(done.body).toMatchObject({ runtimeStatus: "Terminated" });
    const late = await fetch(urlOf(started.sendEventPostUri!, { eventName: "never" }), {
      method: "POST",
      body: "1",
      headers: { "content-type": "application/json" },
    });
    expect(late.status).toBe(410);
    const purge = await fetch(started.purgeHistoryDeleteUri!, { method: "DELETE" });
    expect(purge.status).toBe(200);
    expect((await fetch(started.statusQueryGetUri!)).status).toBe(404);
    const gone = await fetch(urlOf(started.sendEventPostUri!, { eventName: "never" }), {
      method: "POST",
      body: "1",
    });
    expect(gone.status).toBe(404);
  });
});
