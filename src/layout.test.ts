import { execFileSync } from "node:child_process";
import path from "node:path";

/**
 * The repository's boundaries, as the lint rules in eslint.config.mjs keep them: the deployed app never imports
 * the local host or a host-only SDK, the app's tests and tools use the host only through its public entry points,
 * and the host imports nothing of the app. Each case lints a probe text at a path of that part of the tree.
 */
const REPO = path.resolve(__dirname, "..");

type Probe = readonly [file: string, specifier: string];

const importing = (specifier: string): string =>
  `import * as probe from "${specifier}";\nexport { probe };\n`;

/** Lints every probe in one ESLint run in a child process (ESLint loads its flat config as an ES module, which
    jest's module sandbox cannot). Returns the no-restricted-imports messages per probe. */
const lintProbes = (probes: ReadonlyArray<Probe>): string[][] => {
  const script = `
    const { ESLint } = require("eslint");
    const probes = JSON.parse(process.argv[1]);
    // Only the import rule, without type information: the probes are not files of a tsconfig project.
    const eslint = new ESLint({
      cwd: process.cwd(),
      overrideConfig: [{ languageOptions: { parserOptions: { projectService: false, project: null } } }],
      ruleFilter: ({ ruleId }) => ruleId === "no-restricted-imports",
    });
    Promise.all(probes.map(([file, text]) => eslint.lintText(text, { filePath: file }))).then((results) =>
      process.stdout.write(JSON.stringify(results.map(([r]) =>
        r.messages.map((m) => (m.ruleId === "no-restricted-imports" ? "" : "other: ") + m.message)))));
  `;
  const input = probes.map(([file, specifier]) => [path.join(REPO, file), importing(specifier)]);
  return JSON.parse(
    execFileSync(process.execPath, ["-e", script, JSON.stringify(input)], { cwd: REPO, encoding: "utf8" }),
  ) as string[][];
};

const refusedInApp: ReadonlyArray<Probe> = [
  ["src/functions/ingest/probe.ts", "functions-local-host"],
  ["src/functions/ingest/probe.ts", "functions-local-host/testing"],
  ["src/adapters/probe.ts", "../../local-host/src/runtime"],
  ["src/composition.probe.ts", "rhea"],
  ["src/adapters/delivery/probe.ts", "axios"],
  ["src/adapters/probe.ts", "@azure/event-hubs"],
  ["src/adapters/hub/probe.ts", "rhea"],
  ["src/functions/probe.ts", "../../devtools/cli"],
];
const reachingIn: ReadonlyArray<Probe> = [
  ["src/functions/dispatch/probe.test.ts", "functions-local-host/dist/durable"],
  ["devtools/probe.ts", "functions-local-host/dist/runtime"],
  ["__integrations__/probe.ts", "../local-host/src/azurite"],
  ["bench/probe.ts", "../local-host/src/eventhubs"],
];
const allowed: ReadonlyArray<Probe> = [
  ["src/functions/dispatch/probe.test.ts", "functions-local-host/testing"],
  ["devtools/probe.ts", "functions-local-host"],
  ["src/functions/ingest/probe.ts", "@azure/functions"],
  ["src/adapters/hub/probe.ts", "@azure/event-hubs"],
];
const hostReachingOut: ReadonlyArray<Probe> = [
  ["local-host/src/probe.ts", "../../src/config"],
  ["local-host/src/durable/probe.ts", "../../../src/domain/events"],
  ["local-host/src/probe.ts", "../../devtools/cli"],
];

let messages = new Map<string, string[]>();
beforeAll(() => {
  const all = [...refusedInApp, ...reachingIn, ...allowed, ...hostReachingOut];
  const results = lintProbes(all);
  messages = new Map(all.map(([file, specifier], i) => [`${file} ${specifier}`, results[i] ?? []]));
}, 120_000);
const restrictedImports = (file: string, specifier: string): string[] =>
  messages.get(`${file} ${specifier}`) ?? ["not linted"];

describe("import boundaries", () => {
  it.each(refusedInApp)("refuses %s importing %s (the deployed app)", (file, specifier) => {
    expect(restrictedImports(file, specifier)).toEqual([
      expect.stringMatching(/deployed app|never imports the local host/i),
    ]);
  });

  it.each(reachingIn)("refuses %s reaching into the host (%s)", (file, specifier) => {
    expect(restrictedImports(file, specifier)).toEqual([expect.stringMatching(/public entry|local host/i)]);
  });

  it.each(allowed)("allows %s importing %s", (file, specifier) => {
    expect(restrictedImports(file, specifier)).toEqual([]);
  });

  it.each(hostReachingOut)("refuses the host (%s) importing the app (%s)", (file, specifier) => {
    expect(restrictedImports(file, specifier)).toEqual([
      expect.stringMatching(/imports nothing of this one/),
    ]);
  });
});
