import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { runCli, USAGE } from "./cli";
import { bufferedIo } from "./cliArgs";

describe("dispatcher (the command switch)", () => {
  const run = async (argv: ReadonlyArray<string>) => {
    const started: Array<ReadonlyArray<string>> = [];
    const { io, stdout, stderr } = bufferedIo();
    const code = await runCli(argv, io, (args) => {
      started.push(args);
      return Promise.resolve();
    });
    return { code, stdout: stdout(), stderr: stderr(), started };
  };

  it("lists every command with its options under help", async () => {
    const help = await run(["help"]);
    expect(help.code).toBe(0);
    for (const text of [
      "dispatcher start [--json] [--in-memory]",
      "dispatcher publish [EVENTS_JSON]",
      "--file F",
      "--partition-key K",
      "--connection-string CS",
      "--hub H",
      "dispatcher webhooks list [--reveal-headers] [--json]",
      "dispatcher webhooks add --url U --subscribe",
      "--attr k=v",
      "--header k=v",
      "--disabled",
      "dispatcher webhooks rm ID",
      "dispatcher replay WEBHOOK_ID --from ISO_TIME [--to ISO_TIME] [--events a,b] [--rate N] [--no-follow]",
      "--admin-url URL",
      "--key KEY",
      "dispatcher help [COMMAND]",
    ])
      expect(help.stdout).toContain(text);
    expect((await run(["--help"])).stdout).toBe(USAGE + "\n");
    expect((await run(["help", "publish"])).stdout).toMatch(/^Usage: dispatcher publish/);
  });

  it("gives a usage error (exit 2) for unknown commands and unknown start options", async () => {
    const unknown = await run(["frobnicate"]);
    expect(unknown).toMatchObject({ code: 2, stdout: "" });
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect(unknown.stderr).toContain("Usage: dispatcher publish");
    const badStart = await run(["start", "--verbose"]);
    expect(badStart).toMatchObject({ code: 2, started: [] });
    expect(badStart.stderr).toMatch(
      /^dispatcher start: Unknown option '--verbose'\n\nUsage: dispatcher start/,
    );
    expect((await run(["help", "nope"])).code).toBe(2);
  });

  it("starts the runtime for `start` and for no command at all", async () => {
    expect((await run(["start", "--json", "--in-memory"])).started).toEqual([["--json", "--in-memory"]]);
    expect((await run([])).started).toEqual([[]]);
  });

  it("routes publish, webhooks and replay to their commands", async () => {
    expect((await run(["replay", "wh1"])).stderr).toContain("dispatcher replay: replay needs --from");
    expect((await run(["publish", "--bogus"])).stderr).toContain(
      "dispatcher publish: Unknown option '--bogus'",
    );
    expect((await run(["webhooks", "list", "--bogus"])).stderr).toContain(
      "dispatcher webhooks list: Unknown option '--bogus'",
    );
  });
});

// The CLI is also the local host's process: a command module that imports the app's function modules (say a codec
// next to a registration) makes the CLI load @azure/functions and durable-functions before the host is set up, so
// they start in test mode and the app's startup code runs in the CLI, printing to stdout ahead of `start --json`'s
// ready line (a real break, found by the telemetry fault test). Only the local host may load them.
describe("dispatcher (what the CLI process loads)", () => {
  const REPO = path.join(__dirname, "..");
  const CLI = path.join(REPO, "dist", "devtools", "cli.js");

  it("loads neither @azure/functions nor durable-functions from the app's modules, and prints only its help", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cli-loads-"));
    try {
      const hook = path.join(dir, "hook.js");
      writeFileSync(
        hook,
        `const Module = require("module");
const load = Module._load;
const seen = [];
Module._load = function (request, parent, isMain) {
  if (/^(@azure\\/functions|durable-functions)$/.test(request) && parent && !parent.filename.includes("node_modules") && !parent.filename.includes(${JSON.stringify(path.sep + "local-host" + path.sep)}))
    seen.push(request + " from " + parent.filename);
  return load.apply(this, arguments);
};
process.on("exit", () => process.stderr.write("LOADS " + JSON.stringify(seen) + "\\n"));
`,
      );
      const run = spawnSync(process.execPath, ["-r", hook, CLI, "help"], { cwd: REPO, encoding: "utf8" });
      expect(run.status).toBe(0);
      const loads = /LOADS (.*)/.exec(run.stderr)?.[1];
      expect(loads).toBeDefined();
      expect(JSON.parse(loads ?? "null")).toEqual([]);
      expect(run.stdout).toBe(USAGE + "\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
