import { hostApp, type HostedApp, pollStatus } from "./fidelityHost";

/**
 * Fidelity: an app the host did not grow up with, written the way Microsoft's Durable Functions quickstart for
 * Node.js v4 writes it (an HTTP starter with createCheckStatusResponse, a function-chaining orchestrator, an
 * activity), hosted by the bin from its own folder and driven over HTTP as the documentation shows. The responses
 * must have the documented shapes: 202 with Location and the management URLs, then the status query answering
 * 202 while the instance runs and 200 with runtimeStatus "Completed" and the output when done.
 */

const APP = `
const { app } = require("@azure/functions");
const df = require("durable-functions");

df.app.activity("hello", { handler: (input) => \`Hello \${input}\` });

df.app.orchestration("helloOrchestrator", function* (context) {
  const outputs = [];
  outputs.push(yield context.df.callActivity("hello", "Tokyo"));
  outputs.push(yield context.df.callActivity("hello", "Seattle"));
  outputs.push(yield context.df.callActivity("hello", "Cairo"));
  return outputs;
});

app.http("httpStart", {
  route: "orchestrators/{orchestratorName}",
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const client = df.getClient(context);
    const body = await request.text();
    const instanceId = await client.startNew(request.params.orchestratorName, { input: body });
    context.log(\`Started orchestration with ID = '\${instanceId}'.\`);
    return client.createCheckStatusResponse(request, instanceId);
  },
});

app.http("httpStartAndWait", {
  route: "orchestrators-wait/{orchestratorName}",
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const client = df.getClient(context);
    const instanceId = await client.startNew(request.params.orchestratorName);
    return client.waitForCompletionOrCreateCheckStatusResponse(request, instanceId, { timeoutInMilliseconds: 20000 });
  },
});
`;

let app: HostedApp;
let baseUrl = "";
beforeAll(async () => {
  app = await hostApp(APP, { version: "2.0", extensions: { durableTask: { hubName: "QuickstartHub" } } });
  baseUrl = app.baseUrl;
}, 60_000);
afterAll(() => app.stop());

const pollUntilDone = async (url: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const { httpStatus, body } = await pollStatus(url, app.stderr);
  return { status: httpStatus, body };
};

describe("the Durable Functions quickstart (function chaining), hosted by the bin", () => {
  it("answers the HTTP starter with 202, a Location and the management URLs, on this host's own port", async () => {
    const response = await fetch(`${baseUrl}/orchestrators/helloOrchestrator`, { method: "POST", body: "x" });
    expect(response.status).toBe(202);
    const body = (await response.json()) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(
      expect.arrayContaining([
        "id",
        "purgeHistoryDeleteUri",
        "sendEventPostUri",
        "statusQueryGetUri",
        "terminatePostUri",
      ]),
    );
    expect(response.headers.get("location")).toBe(body.statusQueryGetUri);
    expect(new URL(body.statusQueryGetUri!).origin).toBe(new URL(baseUrl).origin);
    expect(body.sendEventPostUri).toContain(`/instances/${body.id}/raiseEvent/{eventName}`);

    const done = await pollUntilDone(body.statusQueryGetUri!);
    expect(done.body).toMatchObject({
      instanceId: body.id,
      name: "helloOrchestrator",
      runtimeStatus: "Completed",
      input: "x",
      output: ["Hello Tokyo", "Hello Seattle", "Hello Cairo"],
    });
  });

  it("answers waitForCompletionOrCreateCheckStatusResponse with 200 and the output when it completes in time", async () => {
    const response = await fetch(`${baseUrl}/orchestrators-wait/helloOrchestrator`, { method: "POST" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(["Hello Tokyo", "Hello Seattle", "Hello Cairo"]);
  });

  it("answers 404 for the status of an instance that does not exist", async () => {
    const response = await fetch(`${baseUrl}/orchestrators/helloOrchestrator`, { method: "POST" });
    const { statusQueryGetUri } = (await response.json()) as { statusQueryGetUri: string };
    const unknown = statusQueryGetUri.replace(/instances\/[^?]+/, "instances/no-such-instance");
    expect((await fetch(unknown)).status).toBe(404);
  });
});
