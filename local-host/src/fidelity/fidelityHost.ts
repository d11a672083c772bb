import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Fidelity-suite support: writes an app (package.json main, host.json, its source) to a temp folder and hosts it
 * with the bin (`node local-host/dist/cli.js start --app DIR --json --in-memory`), on free ports, with the
 * repository's @azure/functions and durable-functions found through NODE_PATH.
 */
const CLI = path.resolve(__dirname, "..", "..", "dist", "cli.js");
const NODE_MODULES = path.resolve(__dirname, "..", "..", "..", "node_modules");

export interface HostedApp {
  /** The temp folder the app was written to. */
  readonly root: string;
  /** http://127.0.0.1:<port>/api */
  readonly baseUrl: string;
  /** The ready line the bin printed (RuntimeInfo: adminKey, eventHubConnectionString, eventHubs, ...). */
  readonly ready: Record<string, unknown>;
  stderr(): string;
  /** SIGTERM; resolves with the exit code once the host has exited. */
  stop(): Promise<number | null>;
}

export const hostApp = async (
  source: string,
  hostJson: object = { version: "2.0" },
  env: Readonly<Record<string, string>> = {},
): Promise<HostedApp> => {
  const root = mkdtempSync(path.join(tmpdir(), "fidelity-"));
  writeFileSync(
    path.join(root, "package.json"),
    JSON.stringify({ name: "fidelity-app", main: "src/index.js" }),
  );
  writeFileSync(path.join(root, "host.json"), JSON.stringify(hostJson));
  mkdirSync(path.join(root, "src"));
  writeFileSync(path.join(root, "src", "index.js"), source);
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, "start", "--app", root, "--json", "--in-memory"],
    {
      env: {
        PATH: process.env.PATH,
        NODE_PATH: NODE_MODULES,
        PORT: "0",
        EVENTHUB_EMULATOR_PORT: "0",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line !== undefined) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    child.once("exit", (code) => reject(new Error(`the host exited (${String(code)}):\n${stderr}`)));
  });
  return {
    root,
    baseUrl: String(ready.adminUrl),
    ready,
    stderr: () => stderr,
    stop: () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
};

/** Polls a statusQueryGetUri until the instance is no longer Pending or Running (202), then returns its status. */
export const pollStatus = async (
  url: string,
  what: () => string,
  timeoutMs = 30_000,
): Promise<{ httpStatus: number; body: Record<string, unknown> }> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(url);
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status !== 202) return { httpStatus: response.status, body };
    if (Date.now() > deadline) throw new Error(`still ${String(body.runtimeStatus)}:\n${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/**
 * The documentation's HTTP starter (POST orchestrators/{orchestratorName}, a JSON body as the input, answered with
 * createCheckStatusResponse), appended to an app's source that has required @azure/functions as `app` and
 * durable-functions as `df`.
 */
export const JSON_HTTP_STARTER = `
app.http("httpStart", {
  route: "orchestrators/{orchestratorName}",
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const client = df.getClient(context);
    const text = await request.text();
    const instanceId = await client.startNew(request.params.orchestratorName, text ? { input: JSON.parse(text) } : {});
    return client.createCheckStatusResponse(request, instanceId);
  },
});
`;

/** Starts an orchestration through the app's HTTP starter and returns createCheckStatusResponse's body. */
export const startThroughHttp = async (
  app: HostedApp,
  orchestrator: string,
  input?: unknown,
): Promise<Record<string, string>> => {
  const response = await fetch(`${app.baseUrl}/orchestrators/${orchestrator}`, {
    method: "POST",
    ...(input === undefined
      ? {}
      : { body: JSON.stringify(input), headers: { "content-type": "application/json" } }),
  });
  if (response.status !== 202) throw new Error(`starter answered ${response.status}:\n${app.stderr()}`);
  return (await response.json()) as Record<string, string>;
};
