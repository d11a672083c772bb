import { mkdtempSync, readFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { hostApp, type HostedApp, JSON_HTTP_STARTER, pollStatus, startThroughHttp } from "./fidelityHost";

/**
 * Fidelity: durable entities as the documentation writes them (the counter entity, signalled and read from HTTP
 * functions through the durable client, called and signalled from an orchestration, read over the entity HTTP
 * API), and the app lifecycle hooks (appStart, appTerminate), as an app of its own hosted by the bin.
 */
const APP = `
const { appendFileSync } = require("node:fs");
const { app } = require("@azure/functions");
const df = require("durable-functions");

app.hook.appStart(() => appendFileSync(process.env.HOOK_LOG, "appStart\\n"));
app.hook.appTerminate(() => appendFileSync(process.env.HOOK_LOG, "appTerminate\\n"));

const entityName = "counter";
df.app.entity(entityName, (context) => {
  const currentValue = context.df.getState(() => 0);
  switch (context.df.operationName) {
    case "add":
      context.df.setState(currentValue + context.df.getInput());
      break;
    case "reset":
      context.df.setState(0);
      break;
    case "get":
      context.df.return(currentValue);
      break;
  }
});

app.http("counterAdd", {
  route: "counter/{id}/add",
  methods: ["POST"],
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const client = df.getClient(context);
    await client.signalEntity(new df.EntityId(entityName, request.params.id), "add", Number(await request.text()));
    return { status: 202 };
  },
});

app.http("counterRead", {
  route: "counter/{id}",
  methods: ["GET"],
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const client = df.getClient(context);
    const state = await client.readEntityState(new df.EntityId(entityName, request.params.id));
    return { jsonBody: { exists: state.entityExists, value: state.entityState ?? null } };
  },
});

app.http("workingDirectory", { methods: ["GET"], authLevel: "anonymous", handler: () => ({ body: process.cwd() }) });

df.app.orchestration("counterOrchestration", function* (context) {
  const entityId = new df.EntityId(entityName, context.df.getInput());
  context.df.signalEntity(entityId, "add", 1);
  context.df.signalEntity(entityId, "add", 2);
  const before = yield context.df.callEntity(entityId, "get");
  yield context.df.callEntity(entityId, "reset");
  const after = yield context.df.callEntity(entityId, "get");
  return { before, after };
});
`;

const hookLog = path.join(mkdtempSync(path.join(tmpdir(), "hooks-")), "hooks.log");
let app: HostedApp;
beforeAll(async () => {
  app = await hostApp(APP + JSON_HTTP_STARTER, { version: "2.0" }, { HOOK_LOG: hookLog });
}, 60_000);
afterAll(() => app.stop());

const readCounter = async (id: string, until: (value: unknown) => boolean) => {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const body = (await (await fetch(`${app.baseUrl}/counter/${id}`)).json()) as { value: unknown };
    if (until(body.value) || Date.now() > deadline) return body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe("durable entities and lifecycle hooks, hosted by the bin", () => {
  it("counter: client signals from an HTTP function, read back with readEntityState", async () => {
    expect(await (await fetch(`${app.baseUrl}/counter/c1`)).json()).toEqual({ exists: false, value: null });
    for (const n of [5, 6]) {
      const response = await fetch(`${app.baseUrl}/counter/c1/add`, { method: "POST", body: String(n) });
      expect(response.status).toBe(202);
    }
    expect(await readCounter("c1", (v) => v === 11)).toEqual({ exists: true, value: 11 });
  });

  it("counter: signalled and called from an orchestration, in order", async () => {
    const started = await startThroughHttp(app, "counterOrchestration", "c2");
    const done = await pollStatus(started.statusQueryGetUri!, app.stderr);
    expect(done.httpStatus).toBe(200);
    expect(done.body).toMatchObject({ runtimeStatus: "Completed", output: { before: 3, after: 0 } });
  });

  it("the entity HTTP API: signal with POST ?op=, read with GET, list by name", async () => {
    const origin = new URL(app.baseUrl).origin;
    const entities = `${origin}/runtime/webhooks/durabletask/entities`;
    const signal = await fetch(`${entities}/counter/c3?op=add`, { method: "POST", body: "4" });
    expect(signal.status).toBe(202);
    expect(await readCounter("c3", (v) => v === 4)).toEqual({ exists: true, value: 4 });
    const read = await fetch(`${entities}/counter/c3`);
    expect(read.status).toBe(200);
    expect(await read.json()).toBe(4);
    expect((await fetch(`${entities}/counter/nobody`)).status).toBe(404);
    const list = (await (await fetch(`${entities}/counter?fetchState=true`)).json()) as Array<{
      entityId: { key: string };
      state: unknown;
    }>;
    expect(list.find((e) => e.entityId.key === "c3")).toMatchObject({
      entityId: { name: "counter" },
      state: 4,
    });
  });

  it("runs the app in its own folder, as the Functions host starts the worker", async () => {
    const cwd = await (await fetch(`${app.baseUrl}/workingDirectory`)).text();
    expect(realpathSync(cwd)).toBe(realpathSync(app.root));
  });

  it("runs appStart when the app loads and appTerminate when the host stops", async () => {
    expect(readFileSync(hookLog, "utf8")).toBe("appStart\n");
    expect(await app.stop()).toBe(0);
    expect(readFileSync(hookLog, "utf8")).toBe("appStart\nappTerminate\n");
  });
});
