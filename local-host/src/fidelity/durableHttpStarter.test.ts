import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Fidelity: an app the host did not grow up with, written the way Microsoft's Durable Functions quickstart for
 * Node.js v4 writes it (an HTTP starter with createCheckStatusResponse, a function-chaining orchestrator, an
 * activity), hosted by the bin from its own folder and driven over HTTP as the documentation shows. The responses
 * must have the documented shapes: 202 with Location and the management URLs, then the status query answering
 * 202 while the instance runs and 200 with runtimeStatus "Completed" and the output when done.
 */
const CLI = path.resolve(__dirname, "..", "..", "dist", "cli.js");
const NODE_MODULES = path.resolve(__dirname, "..", "..", "..", "node_modules");

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

const appFolder = (): string => {
  const root = mkdtempSync(path.join(tmpdir(), "fidelity-durable-"));
  writeFileSync(
    path.join(root, "package.json"),
    JSON.stringify({ name: "durable-quickstart", main: "src/index.js" }),
  );
  writeFileSync(
    path.join(root, "host.json"),
    JSON.stringify({ version: "2.0", extensions: { durableTask: { hubName: "QuickstartHub" } } }),
  );
  const src = path.join(root, "src");
  require("node:fs").mkdirSync(src); // eslint-disable-line @typescript-eslint/no-require-imports
  writeFileSync(path.join(src, "index.js"), APP);
  return root;
};

interface ReadyLine {
  readonly adminUrl: string;
}

let child: ChildProcess | undefined;
let baseUrl = "";
let stderr = "";

beforeAll(async () => {
  const root = appFolder();
  child = spawn(process.execPath, [CLI, "start", "--app", root, "--json", "--in-memory"], {
    env: { PATH: process.env.PATH, NODE_PATH: NODE_MODULES, PORT: "0", EVENTHUB_EMULATOR_PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    let out = "";
    child!.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line !== undefined) resolve(JSON.parse(line) as ReadyLine);
    });
    child!.once("exit", (code) => reject(new Error(`the host exited (${String(code)}):\n${stderr}`)));
  });
  baseUrl = ready.adminUrl;
}, 60_000);
afterAll(() => {
  child?.kill("SIGTERM");
});

const pollUntilDone = async (url: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await fetch(url);
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status === 200) return { status: 200, body };
    expect(response.status).toBe(202);
    expect(["Pending", "Running"]).toContain(body.runtimeStatus);
    if (Date.now() > deadline) throw new Error(`still ${String(body.runtimeStatus)}:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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
