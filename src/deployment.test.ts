import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * What Azure gets: `npm ci && npm run build && npm prune --omit=dev`, i.e. the production dependencies of the
 * lockfile and dist/src. This installs exactly that into a temporary folder (from npm's cache, as the fresh clone's
 * `npm ci` left it) and checks that the local host, its SDKs and the dev tools' clients are not there, and that the
 * app still loads and registers its functions from package.json main without them.
 */
const REPO = path.resolve(__dirname, "..");
/**
 * Only the local host and the dev tools use these; none may reach the deployment. (@azure/event-hubs, and rhea under
 * it, are production dependencies since replays: src/adapters/hub reads the hub; lint keeps them there.)
 */
const HOST_ONLY = [
  "functions-local-host",
  "azurite",
  "@azure/eventhubs-checkpointstore-blob",
  "@azure/storage-blob",
];

let deploy: string;
beforeAll(() => {
  if (!existsSync(path.join(REPO, "dist", "src", "functions")))
    throw new Error("dist/src is missing: npm test builds it first (pretest)");
  deploy = mkdtempSync(path.join(tmpdir(), "deployable-"));
  for (const file of ["package.json", "package-lock.json", "host.json", "local-host/package.json"]) {
    mkdirSync(path.dirname(path.join(deploy, file)), { recursive: true });
    cpSync(path.join(REPO, file), path.join(deploy, file));
  }
  execFileSync(
    "npm",
    [
      "ci",
      "--omit=dev",
      "--prefer-offline",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
    ],
    { cwd: deploy, stdio: "pipe" },
  );
  rmSync(path.join(deploy, "local-host"), { recursive: true });
  // What `npm run build` emits: dist/src and the dist/package.json that src/version.ts reads.
  cpSync(path.join(REPO, "dist", "src"), path.join(deploy, "dist", "src"), { recursive: true });
  cpSync(path.join(REPO, "dist", "package.json"), path.join(deploy, "dist", "package.json"));
  // ... and the operator console Vite built into dist/console.
  cpSync(path.join(REPO, "dist", "console"), path.join(deploy, "dist", "console"), { recursive: true });
}, 180_000);
afterAll(() => rmSync(deploy, { recursive: true, force: true }));

const installed = (name: string): boolean =>
  existsSync(path.join(deploy, "node_modules", name, "package.json"));

describe("the deployable tree (production dependencies + dist/src)", () => {
  it("holds none of the local host's code or its SDKs", () => {
    expect(HOST_ONLY.filter(installed)).toEqual([]);
    expect(installed("@azure/functions")).toBe(true);
    expect(installed("durable-functions")).toBe(true);
  });

  it("has the built console but not the tools that build or test it (devDependencies)", () => {
    expect(existsSync(path.join(deploy, "dist", "console", "index.html"))).toBe(true);
    expect(
      readdirSync(path.join(deploy, "dist", "console", "assets")).some((f) => /^index-.+\.js$/.test(f)),
    ).toBe(true);
    expect(["vite", "preact", "playwright-core", "esbuild"].filter(installed)).toEqual([]);
  });

  it("has @azure/identity, which builds the token credential of identity-based connections in Azure", () => {
    // A production dependency on purpose: an AzureWebJobsStorage__accountName/__tableServiceUri deployment builds
    // its TableClients with ManagedIdentityCredential or DefaultAzureCredential (src/adapters/tables/tableClients.ts).
    expect(installed("@azure/identity")).toBe(true);
  });

  it("has axios only as durable-functions' own dependency (its DurableClient's HTTP client), not the app's", () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies)).not.toContain("axios");
    const tree = JSON.parse(
      execFileSync("npm", ["ls", "axios", "--all", "--omit=dev", "--json"], {
        cwd: deploy,
        encoding: "utf8",
      }),
    ) as { dependencies?: Record<string, unknown> };
    expect(Object.keys(tree.dependencies ?? {})).toEqual(["durable-functions"]);
  });

  it("has no compiled file that requires the host or a host-only package", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? files(path.join(dir, e.name))
          : e.name.endsWith(".js")
            ? [path.join(dir, e.name)]
            : [],
      );
    const offending = files(path.join(deploy, "dist")).filter((file) => {
      const text = readFileSync(file, "utf8");
      return HOST_ONLY.some((name) => text.includes(`require("${name}`));
    });
    expect(offending).toEqual([]);
  });

  it("loads every registration file of package.json main and registers the app's functions", () => {
    // A stand-in for the Functions worker's @azure/functions-core that only counts registrations.
    const probe = `
      const Module = require("node:module");
      const names = [];
      const core = { registerFunction: (m) => { names.push(m.name); return { dispose() {} }; },
        registerHook: () => ({ dispose() {} }), setProgrammingModel() {}, getProgrammingModel() {} };
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        return request === "@azure/functions-core" ? "@azure/functions-core" : resolve.call(this, request, ...rest);
      };
      require.cache["@azure/functions-core"] = { id: "@azure/functions-core", loaded: true, exports: core };
      const main = require("./package.json").main;
      const dir = main.split("/*/")[0];
      for (const area of require("node:fs").readdirSync(dir).sort()) {
        const file = require("node:path").resolve(dir, area, "register.js");
        if (require("node:fs").existsSync(file)) require(file);
      }
      process.stdout.write(JSON.stringify(names.sort()));
    `;
    const names = JSON.parse(
      execFileSync(process.execPath, ["-e", probe], { cwd: deploy, encoding: "utf8" }),
    ) as string[];
    expect(names).toEqual(
      expect.arrayContaining(["onIncomingEvents", "webhooks-create", "health", "delivery-log-retention"]),
    );
    expect(names.length).toBeGreaterThanOrEqual(15);
  });
});
