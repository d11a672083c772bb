import { type RunningHttpHost, startHttpHost } from "functions-local-host";

import { resetAppDeps } from "../src/composition";
import { resetConfigForTests } from "../src/config";
import { loadApp } from "../src/test-support/loadApp";
import { testEncryptionKeysSetting } from "../src/test-support/secrets";
import { freshTableName, testStorageConnection } from "../src/test-support/storage";
import { bufferedIo } from "./cliArgs";
import { webhooksCommand } from "./webhooksCommand";

const ADMIN_KEY = "k";

describe("dispatcher webhooks, against the real admin API", () => {
  let host: RunningHttpHost;
  const saved = { ...process.env };

  beforeAll(async () => {
    Object.assign(process.env, {
      AzureWebJobsStorage: testStorageConnection(),
      ALLOW_INSECURE_WEBHOOKS: "true",
      ALLOW_PRIVATE_NETWORK_TARGETS: "true",
      WEBHOOKS_TABLE: freshTableName("clihooks"),
      SECRETS_ENCRYPTION_KEYS: testEncryptionKeysSetting(),
    });
    resetConfigForTests();
    resetAppDeps();
    const shim = loadApp();
    host = await startHttpHost(0, {
      shim,
      adminKey: ADMIN_KEY,
      routePrefix: "api",
      log: () => {},
    });
  });
  afterAll(async () => {
    await host.stop();
    process.env = saved;
    resetConfigForTests();
    resetAppDeps();
  });

  /** The connection as the environment gives it (DISPATCHER_ADMIN_URL, ADMIN_KEY). */
  const run = async (args: ReadonlyArray<string>, key = ADMIN_KEY) => {
    const { io, stdout, stderr } = bufferedIo({
      env: { DISPATCHER_ADMIN_URL: `${host.url}/api`, ADMIN_KEY: key },
    });
    const code = await webhooksCommand(args, io);
    return { code, stdout: stdout(), stderr: stderr() };
  };

  it("adds a webhook and prints it with its secret, once", async () => {
    const added = await run([
      "add",
      "--url",
      "http://127.0.0.1:9/hook-a",
      "--subscribe",
      "ping,service:subscribed",
      "--attr",
      "name=alpha",
      "--attr",
      "serviceId=S1",
      "--header",
      "x-token=t0ps3cret",
    ]);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^created webhook \S+\n/);
    expect(added.stdout).toContain("  url            http://127.0.0.1:9/hook-a\n");
    expect(added.stdout).toContain("  subscriptions  ping, service:subscribed\n");
    expect(added.stdout).toContain("  attributes     name=alpha,serviceId=S1\n");
    expect(added.stdout).toContain("  headers        x-token=***\n");
    expect(added.stdout).toMatch(/ {2}secret {9}whsec_[A-Za-z0-9+/=]{20,}\n/);
    expect(added.stderr).toContain("the secret is shown only this once");
  });

  it("lists webhooks as a table, with header values only when asked, and as JSON", async () => {
    const json = await run([
      "add",
      "--url",
      "http://127.0.0.1:9/hook-b",
      "--subscribe",
      "ping",
      "--attr",
      "name=beta",
      "--ordering",
      "per-subject",
      "--on-failure",
      "block",
      "--disabled",
      "--json",
    ]);
    expect(json.code).toBe(0);
    const created = JSON.parse(json.stdout);
    expect(created).toMatchObject({
      url: "http://127.0.0.1:9/hook-b",
      disabled: true,
      subscriptions: ["ping"],
      ordering: "per-subject",
      orderingOnFailure: "block",
    });
    expect(created.secret).toMatch(/^whsec_/);

    const table = await run(["list"]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID +URL +SUBSCRIPTIONS +ATTRIBUTES +ORDERING +DISABLED$/);
    const row = lines.find((line) => line.startsWith(created.id));
    expect(row).toMatch(/http:\/\/127\.0\.0\.1:9\/hook-b +ping +name=beta +per-subject +yes$/);
    expect(table.stdout).not.toContain("t0ps3cret");
    expect(table.stdout).not.toContain("whsec_");

    const revealed = await run(["list", "--reveal-headers"]);
    expect(revealed.stdout.split("\n")[0]).toContain("HEADERS");
    expect(revealed.stdout).toContain("x-token=t0ps3cret");

    const listed = await run(["list", "--json"]);
    const ids = (JSON.parse(listed.stdout) as Array<{ id: string }>).map((w) => w.id);
    expect(ids).toContain(created.id);
  });

  it("removes a webhook, and reports a second removal as the API's 404", async () => {
    const created = JSON.parse(
      (
        await run([
          "add",
          "--url",
          "http://127.0.0.1:9/hook-c",
          "--subscribe",
          "ping",
          "--attr",
          "name=c",
          "--json",
        ])
      ).stdout,
    );
    const removed = await run(["rm", created.id]);
    expect(removed).toEqual({ code: 0, stdout: `removed webhook ${created.id}\n`, stderr: "" });
    expect((await run(["list", "--json"])).stdout).not.toContain(created.id);
    const again = await run(["rm", created.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("(HTTP 404)");
    expect(again.stderr).toContain(`No webhook with id "${created.id}"`);
  });

  it("shows a 400 problem with each field path and exits 1", async () => {
    const result = await run(["add", "--url", "ftp://example.invalid/x", "--subscribe", "ping,nope"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("dispatcher webhooks add: The request is not valid (HTTP 400)");
    expect(result.stderr).toContain("  The webhook is not valid; see errors");
    expect(result.stderr).toMatch(/\n {2}- \/url: /);
    expect(result.stderr).toMatch(/\n {2}- \/subscriptions\/1: /);
    expect(result.stderr).toMatch(/\n {2}- \/attributes\/name: /);
  });

  it("reports a wrong key as 401 without printing the key", async () => {
    const result = await run(["list"], "wrong-key-value");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("(HTTP 401)");
    expect(result.stderr).toContain("check --key or ADMIN_KEY");
    expect(result.stderr).not.toContain("wrong-key-value");
  });

  it("gives usage errors (exit 2) for unknown subcommands, unknown options and missing values", async () => {
    expect((await run(["frob"])).code).toBe(2);
    const unknown = await run(["list", "--color"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Usage:");
    expect((await run(["add", "--subscribe", "ping"])).stderr).toContain("needs --url");
    expect(
      (await run(["add", "--url", "http://127.0.0.1:9/x", "--subscribe", "ping", "--ordering", "fifo"]))
        .stderr,
    ).toContain("--ordering must be one of none, per-subject");
    expect(
      (await run(["add", "--url", "http://127.0.0.1:9/x", "--subscribe", "ping", "--attr", "noequals"])).code,
    ).toBe(2);
    expect((await run(["rm"])).code).toBe(2);
  });
});

describe("dispatcher webhooks without a dispatcher", () => {
  it("says the admin API cannot be reached when nothing listens", async () => {
    const { io, stderr } = bufferedIo({
      env: { DISPATCHER_ADMIN_URL: "http://127.0.0.1:1/api", ADMIN_KEY: "secret-key" },
    });
    expect(await webhooksCommand(["list"], io)).toBe(1);
    expect(stderr()).toContain("Cannot reach the admin API at http://127.0.0.1:1/api (ECONNREFUSED)");
    expect(stderr()).not.toContain("secret-key");
  });
});
