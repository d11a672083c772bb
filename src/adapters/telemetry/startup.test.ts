import { execFileSync } from "node:child_process";
import path from "node:path";

/**
 * Telemetry off costs nothing: loading every registration file (as the worker does, in a fresh process with a
 * stand-in @azure/functions-core) with neither APPLICATIONINSIGHTS_CONNECTION_STRING nor
 * OTEL_EXPORTER_OTLP_ENDPOINT set loads no OpenTelemetry SDK, exporter or instrumentation (only the API, which
 * durable-functions itself requires), registers no hook, and hands the app the no-op telemetry. With an endpoint
 * set, the same load starts the SDK and registers the Functions instrumentation's hooks.
 */
const REPO = path.resolve(__dirname, "..", "..", "..");

const probe = `
  const Module = require("node:module");
  const hooks = [];
  const core = { registerFunction: () => ({ dispose() {} }),
    registerHook: (name) => { hooks.push(name); return { dispose() {} }; },
    setProgrammingModel() {}, getProgrammingModel() {} };
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return request === "@azure/functions-core" ? "@azure/functions-core" : resolve.call(this, request, ...rest);
  };
  require.cache["@azure/functions-core"] = { id: "@azure/functions-core", loaded: true, exports: core };
  const fs = require("node:fs");
  const dir = require("./package.json").main.split("/*/")[0];
  for (const area of fs.readdirSync(dir).sort()) {
    const file = require("node:path").resolve(dir, area, "register.js");
    if (fs.existsSync(file)) require(file);
  }
  const telemetry = require("./dist/src/adapters/telemetry/startup.js").processTelemetry();
  const noop = require("./dist/src/adapters/telemetry/telemetry.js").noopTelemetry;
  const loaded = Object.keys(require.cache)
    .filter((k) => /node_modules\\/(@opentelemetry|@azure\\/monitor-opentelemetry|@azure\\/functions-opentelemetry)|telemetry\\/sdk\\.js$/.test(k))
    .map((k) => k.replace(/^.*node_modules\\//, "").replace(/^(@[^/]+\\/[^/]+|[^/]+).*$/, "$1").replace(/^.*telemetry\\/sdk\\.js$/, "sdk.js"));
  process.stdout.write("\\n" + JSON.stringify({
    noop: telemetry === noop, enabled: telemetry.enabled, packages: [...new Set(loaded)].sort(), hooks: hooks.sort(),
  }));
  process.exit(0);
`;

const load = (
  env: Record<string, string>,
): { noop: boolean; enabled: boolean; packages: string[]; hooks: string[] } => {
  const base = { ...process.env };
  delete base.APPLICATIONINSIGHTS_CONNECTION_STRING;
  delete base.OTEL_EXPORTER_OTLP_ENDPOINT;
  // The last line: @azure/functions prints its system log lines to stdout outside the worker.
  const stdout = execFileSync(process.execPath, ["-e", probe], {
    cwd: REPO,
    encoding: "utf8",
    env: { ...base, ...env },
    stdio: ["ignore", "pipe", "ignore"],
  });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as {
    noop: boolean;
    enabled: boolean;
    packages: string[];
    hooks: string[];
  };
};

describe("telemetry start-up", () => {
  it("with no exporter configured, loads no SDK and registers nothing: the app gets the no-op telemetry", () => {
    const off = load({});
    expect(off).toMatchObject({ noop: true, enabled: false });
    // durable-functions requires @opentelemetry/api on its own; nothing else of OpenTelemetry is loaded.
    expect(off.packages).toEqual(["@opentelemetry/api"]);
    expect(off.hooks).not.toContain("preInvocation");
    expect(off.hooks).not.toContain("log");
  });

  it("with OTEL_EXPORTER_OTLP_ENDPOINT, starts the SDK and the Functions instrumentation's hooks", () => {
    // A closed port on loopback: nothing is exported before the process exits.
    const on = load({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" });
    expect(on).toMatchObject({ noop: false, enabled: true });
    expect(on.packages).toEqual(
      expect.arrayContaining([
        "sdk.js",
        "@opentelemetry/sdk-trace-node",
        "@opentelemetry/exporter-trace-otlp-http",
        "@opentelemetry/instrumentation-undici",
        "@azure/functions-opentelemetry-instrumentation",
      ]),
    );
    expect(on.hooks).toEqual(expect.arrayContaining(["preInvocation", "log", "appTerminate"]));
  });

  it("a bad telemetry setting turns telemetry off and leaves the app loading", () => {
    const bad = load({ OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" });
    expect(bad).toMatchObject({ noop: true, enabled: false });
  });
});
