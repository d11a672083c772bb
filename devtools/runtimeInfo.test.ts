import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import {
  checkLocalEndpoint,
  redactSecrets,
  resolveAdminTarget,
  resolveEventHubTarget,
  runtimeFilePath,
} from "./runtimeInfo";

const FILE_CS =
  "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true;EntityPath=io-events";

const runtimeJson = {
  ready: true,
  adminUrl: "http://127.0.0.1:7071/api",
  adminKey: "file-key",
  eventHubConnectionString: FILE_CS,
  eventHubName: "io-events",
  dataDir: "/somewhere",
};

describe("connection resolution", () => {
  let cwd: string;

  beforeEach(() => {
    cwd = mkdtempSync(path.join(tmpdir(), "runtime-info-"));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  const writeRuntimeFile = (dir = path.join(cwd, ".data"), content: unknown = runtimeJson): void => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "runtime.json"), JSON.stringify(content));
  };

  it("reads ./.data/runtime.json when neither flags nor environment say anything", () => {
    writeRuntimeFile();
    expect(resolveAdminTarget({}, {}, cwd)).toEqual({ url: "http://127.0.0.1:7071/api", key: "file-key" });
    expect(resolveEventHubTarget({}, {}, cwd)).toEqual({
      kind: "connectionString",
      connectionString:
        "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true",
      hubName: "io-events",
      endpoint: "127.0.0.1:5672",
      host: "127.0.0.1",
      port: 5672,
    });
  });

  it("looks in $DATA_DIR (relative to the working directory) instead of ./.data", () => {
    writeRuntimeFile(path.join(cwd, "elsewhere"), { ...runtimeJson, adminKey: "other-key" });
    expect(runtimeFilePath({ DATA_DIR: "elsewhere" }, cwd)).toBe(path.join(cwd, "elsewhere", "runtime.json"));
    expect(resolveAdminTarget({}, { DATA_DIR: "elsewhere" }, cwd).key).toBe("other-key");
  });

  it("prefers the environment to runtime.json, and flags to the environment", () => {
    writeRuntimeFile();
    const env = {
      DISPATCHER_ADMIN_URL: "http://127.0.0.1:8000/api/",
      ADMIN_KEY: "env-key",
      EVENTHUB_CONNECTION: "Endpoint=sb://127.0.0.1:6000;SharedAccessKeyName=a;SharedAccessKey=b",
      EVENTHUB_NAME: "env-hub",
    };
    expect(resolveAdminTarget({}, env, cwd)).toEqual({ url: "http://127.0.0.1:8000/api", key: "env-key" });
    expect(resolveEventHubTarget({}, env, cwd)).toMatchObject({ hubName: "env-hub", port: 6000 });
    expect(resolveAdminTarget({ url: "http://127.0.0.1:9000/api", key: "flag-key" }, env, cwd)).toEqual({
      url: "http://127.0.0.1:9000/api",
      key: "flag-key",
    });
    const flagged = resolveEventHubTarget(
      {
        connectionString: "Endpoint=sb://127.0.0.1:7000/;SharedAccessKey=x;EntityPath=cs-hub",
        hub: "flag-hub",
      },
      env,
      cwd,
    );
    expect(flagged).toMatchObject({ hubName: "flag-hub", port: 7000, endpoint: "127.0.0.1:7000" });
    expect(flagged.kind === "connectionString" && flagged.connectionString).not.toContain("EntityPath");
  });

  it("takes EVENTHUB_CONNECTION__fullyQualifiedNamespace (the identity form) when no connection string is given", () => {
    writeRuntimeFile();
    const env = {
      EVENTHUB_CONNECTION__fullyQualifiedNamespace: "ns.servicebus.windows.net",
      EVENTHUB_CONNECTION__credential: "managedidentity",
      EVENTHUB_CONNECTION__clientId: "client-1",
      EVENTHUB_NAME: "env-hub",
    };
    expect(resolveEventHubTarget({}, env, cwd)).toEqual({
      kind: "identity",
      fullyQualifiedNamespace: "ns.servicebus.windows.net",
      credential: { kind: "managedIdentity", clientId: "client-1" },
      hubName: "env-hub",
      endpoint: "ns.servicebus.windows.net",
      host: "ns.servicebus.windows.net",
      port: 5671,
    });
    expect(resolveEventHubTarget({ hub: "flag-hub" }, env, cwd).hubName).toBe("flag-hub");
    const flagged = resolveEventHubTarget(
      { connectionString: "Endpoint=sb://127.0.0.1:7000/;SharedAccessKey=x" },
      env,
      cwd,
    );
    expect(flagged.kind).toBe("connectionString");
  });

  it("names the missing identity setting, never a value", () => {
    expect(() =>
      resolveEventHubTarget(
        {},
        { EVENTHUB_CONNECTION__clientId: "client-secretish", EVENTHUB_NAME: "h" },
        cwd,
      ),
    ).toThrow(
      /^EVENTHUB_CONNECTION__fullyQualifiedNamespace is missing: EVENTHUB_CONNECTION__clientId need it/,
    );
    expect(() =>
      resolveEventHubTarget(
        {},
        { EVENTHUB_CONNECTION__fullyQualifiedNamespace: "ns.servicebus.windows.net" },
        cwd,
      ),
    ).toThrow("No Event Hub name: pass --hub or set EVENTHUB_NAME");
  });

  it("takes the hub from --hub, then the connection string's EntityPath, then EVENTHUB_NAME", () => {
    const cs = "Endpoint=sb://ns.example.net/;SharedAccessKeyName=a;SharedAccessKey=b;EntityPath=from-cs";
    const env = { EVENTHUB_CONNECTION: cs, EVENTHUB_NAME: "from-env" };
    expect(resolveEventHubTarget({}, env, cwd)).toMatchObject({ hubName: "from-cs", port: 5671 });
    expect(resolveEventHubTarget({ hub: "from-flag" }, env, cwd).hubName).toBe("from-flag");
    const noEntityPath = { ...env, EVENTHUB_CONNECTION: "Endpoint=sb://ns.example.net/;SharedAccessKey=b" };
    expect(resolveEventHubTarget({}, noEntityPath, cwd).hubName).toBe("from-env");
  });

  it("fills a missing key from runtime.json only when the URL is runtime.json's own", () => {
    writeRuntimeFile();
    expect(resolveAdminTarget({}, { ADMIN_KEY: "env-key" }, cwd)).toEqual({
      url: "http://127.0.0.1:7071/api",
      key: "env-key",
    });
    expect(resolveAdminTarget({ url: "http://127.0.0.1:7071/api/" }, {}, cwd).key).toBe("file-key");
    expect(() => resolveAdminTarget({ url: "http://10.0.0.9:7071/api?code=zzz" }, {}, cwd)).toThrow(
      "No admin key for http://10.0.0.9:7071/api: pass --key or set ADMIN_KEY",
    );
  });

  it("says `npm start` may not be running, and where it looked, when nothing is found", () => {
    const where = path.join(cwd, ".data", "runtime.json");
    expect(() => resolveAdminTarget({}, {}, cwd)).toThrow(
      `No admin API to talk to: is \`npm start\` running? When ready it writes ${where}`,
    );
    expect(() => resolveAdminTarget({}, {}, cwd)).toThrow(
      "Or pass --admin-url and --key, or set DISPATCHER_ADMIN_URL and ADMIN_KEY.",
    );
    expect(() => resolveEventHubTarget({}, {}, cwd)).toThrow(
      "No Event Hub to talk to: is `npm start` running?",
    );
    expect(() => resolveEventHubTarget({}, {}, cwd)).toThrow("--connection-string");
  });

  it("refuses an unreadable runtime.json without echoing its content", () => {
    mkdirSync(path.join(cwd, ".data"));
    writeFileSync(path.join(cwd, ".data", "runtime.json"), '{"adminKey": "s3cret-in-file"');
    let message = "";
    try {
      resolveAdminTarget({}, {}, cwd);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("is not a runtime file this CLI understands");
    expect(message).not.toContain("s3cret");
  });
});

describe("redactSecrets", () => {
  it("masks SharedAccessKey and SharedAccessSignature values and any given secret", () => {
    const text =
      'bad "Endpoint=sb://x/;SharedAccessKeyName=n;SharedAccessKey=abc+/=;EntityPath=h" and ' +
      "SharedAccessSignature=SharedAccessSignature sr=x&sig=yyy;x and key my-admin-key";
    const redacted = redactSecrets(text, ["my-admin-key"]);
    expect(redacted).toBe(
      'bad "Endpoint=sb://x/;SharedAccessKeyName=n;SharedAccessKey=***;EntityPath=h" and ' +
        "SharedAccessSignature=***;x and key ***",
    );
  });
});

describe("checkLocalEndpoint", () => {
  it("passes when something listens and names the address when nothing does", async () => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      await expect(checkLocalEndpoint("127.0.0.1", port, "the endpoint")).resolves.toBeUndefined();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    await expect(checkLocalEndpoint("127.0.0.1", port, "the endpoint")).rejects.toThrow(
      `Cannot connect to the endpoint at 127.0.0.1:${port} (ECONNREFUSED): is \`npm start\` running?`,
    );
  });
});
