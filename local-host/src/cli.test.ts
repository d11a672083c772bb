import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * The bin, as a person runs it: `node local-host/dist/cli.js` (build it first: npm run build --prefix local-host)
 * against a tiny app written to a temp folder, whose `@azure/functions` comes from the repository's node_modules
 * through NODE_PATH.
 */
const CLI = path.resolve(__dirname, "..", "dist", "cli.js");
const NODE_MODULES = path.resolve(__dirname, "..", "..", "node_modules");

const REGISTER = `
const { app } = require("@azure/functions");
app.http("hello", { methods: ["GET"], authLevel: "anonymous", route: "greet/{who}",
  handler: async (request) => ({ body: process.env.GREETING + " " + request.params.who }) });
app.http("explode", { authLevel: "anonymous", handler: async () => {
  setTimeout(() => { throw new Error("late boom"); }, 10);
  return { body: "scheduled" };
} });
app.http("stuck", { authLevel: "anonymous", handler: () => new Promise(() => {}) });
app.timer("tick", { schedule: "0 0 0 1 1 *", handler: () => {} });
`;

const appFolder = (register: string, settings: unknown): string => {
  const root = mkdtempSync(path.join(tmpdir(), "cli-app-"));
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "tiny", main: "register.js" }));
  writeFileSync(
    path.join(root, "host.json"),
    JSON.stringify({ version: "2.0", functionTimeout: "00:00:01" }),
  );
  writeFileSync(path.join(root, "local.settings.json"), JSON.stringify(settings));
  writeFileSync(path.join(root, "register.js"), register);
  return root;
};

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

interface Run {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exit: Promise<number | null>;
}

const runCli = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}): Run => {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, NODE_PATH: NODE_MODULES, EVENTHUB_EMULATOR_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const run: Run = {
    child,
    stdout: "",
    stderr: "",
    exit: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
  };
  child.stdout.on("data", (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (run.stderr += chunk.toString()));
  return run;
};

const waitFor = async (run: Run, condition: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 25_000;
  while (!condition()) {
    if (Date.now() > deadline || run.child.exitCode !== null)
      throw new Error(`no ${what}; stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

const running: Run[] = [];
afterEach(async () => {
  for (const run of running.splice(0)) {
    if (run.child.exitCode === null) run.child.kill("SIGTERM");
    await run.exit;
  }
});

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build --prefix local-host first`);
});

describe("functions-local-host start", () => {
  it("hosts the app with local.settings.json Values and LocalHttpPort, survives a throw outside an invocation and fails one that outlives functionTimeout", async () => {
    const port = await freePort();
    const app = appFolder(REGISTER, {
      IsEncrypted: false,
      Values: { GREETING: "hello" },
      Host: { LocalHttpPort: port },
    });
    const run = runCli(["start", "--app", app, "--json", "--in-memory"], {
      DATA_DIR: path.join(app, ".data"),
    });
    running.push(run);
    await waitFor(run, () => run.stdout.includes("\n"), "JSON line");
    const info = JSON.parse(run.stdout) as { ready: boolean; adminUrl: string };
    expect(info).toMatchObject({ ready: true, adminUrl: `http://127.0.0.1:${port}/api` });

    const greeting = await fetch(`${info.adminUrl}/greet/you`);
    expect(await greeting.text()).toBe("hello you");

    expect(await (await fetch(`${info.adminUrl}/explode`)).text()).toBe("scheduled");
    await waitFor(run, () => run.stderr.includes("late boom"), "log of the uncaught exception");
    expect(run.stderr).toMatch(/uncaught exception in function "explode" \(the host keeps running\)/);
    expect((await fetch(`${info.adminUrl}/greet/again`)).status).toBe(200);

    expect((await fetch(`${info.adminUrl}/stuck`)).status).toBe(500);
    expect(run.stderr).toMatch(/Timeout value of 00:00:01 exceeded by function "stuck"/);
    expect(run.stderr).not.toContain("hello you");
  });

  it("prints a banner with the HTTP functions' methods and URLs, the others by trigger, the admin key and the connections", async () => {
    const app = appFolder(REGISTER, { Values: { GREETING: "hi" } });
    const run = runCli(["start", "--app", app, "--in-memory"], { PORT: "0", ADMIN_KEY: "banner-key" });
    running.push(run);
    await waitFor(run, () => run.stdout.includes("Ctrl+C stops everything."), "banner");
    expect(run.stdout).toMatch(/hello\s+\[GET\] http:\/\/127\.0\.0\.1:\d+\/api\/greet\/\{who\}/);
    expect(run.stdout).toMatch(/explode\s+\[GET,POST\] http:\/\/127\.0\.0\.1:\d+\/api\/explode/);
    expect(run.stdout).toContain("timerTrigger: tick");
    expect(run.stdout).toContain("Admin key   banner-key");
    expect(run.stdout).toMatch(/Storage\s+DefaultEndpointsProtocol=http;AccountName=devstoreaccount1/);
    expect(run.stdout).toMatch(/Event Hub\s+Endpoint=sb:\/\/127\.0\.0\.1:\d+;.*UseDevelopmentEmulator=true/);
  });

  it("refuses an app with a registration it cannot run, naming the function and the feature", async () => {
    const register = `require("@azure/functions").app.storageQueue("fromQueue", { queueName: "q", connection: "C", handler: () => {} });`;
    const run = runCli(["start", "--app", appFolder(register, {}), "--json", "--in-memory"], { PORT: "0" });
    running.push(run);
    expect(await run.exit).toBe(1);
    expect(run.stderr).toMatch(/function "fromQueue": trigger queueTrigger/);
  });

  it("refuses an encrypted local.settings.json", async () => {
    const run = runCli(["start", "--app", appFolder(REGISTER, { IsEncrypted: true, Values: {} }), "--json"]);
    running.push(run);
    expect(await run.exit).toBe(1);
    expect(run.stderr).toMatch(/IsEncrypted: true/);
  });
});

describe("functions-local-host usage", () => {
  it("prints the usage for help and exits 0", async () => {
    const run = runCli(["help"]);
    expect(await run.exit).toBe(0);
    expect(run.stdout).toMatch(/start \[--app DIR\] \[--json\] \[--in-memory\]/);
    expect(run.stdout).toMatch(/emulators \[--json\] \[--in-memory\]/);
  });

  it("exits 2 with the usage for an unknown option", async () => {
    const run = runCli(["start", "--bogus"]);
    expect(await run.exit).toBe(2);
    expect(run.stderr).toMatch(/unknown option "--bogus"[\s\S]*Usage: functions-local-host/);
  });
});

describe("functions-local-host emulators", () => {
  it("starts Azurite and the Event Hubs endpoint and prints their connection strings", async () => {
    const env = { AZURITE_BLOB_PORT: "0", AZURITE_QUEUE_PORT: "0", AZURITE_TABLE_PORT: "0" };
    const run = runCli(["emulators", "--json", "--in-memory"], env);
    running.push(run);
    await waitFor(run, () => run.stdout.includes("\n"), "JSON line");
    const info = JSON.parse(run.stdout) as {
      storageConnectionString: string;
      eventHubConnectionString: string;
    };
    expect(info.storageConnectionString).toMatch(/BlobEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1/);
    expect(info.storageConnectionString).toMatch(/QueueEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1/);
    expect(info.eventHubConnectionString).toMatch(/UseDevelopmentEmulator=true;EntityPath=io-events/);
    const blob = /BlobEndpoint=(http:\/\/[^;]+)/.exec(info.storageConnectionString)![1]!;
    expect((await fetch(`${blob}?comp=list`)).status).toBeLessThan(500);
    run.child.kill("SIGINT");
    expect(await run.exit).toBe(0);
  });
});
