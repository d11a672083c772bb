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
