import { execFileSync } from "node:child_process";
import { join } from "node:path";

/**
 * Contract-test support: runs `body` in a plain Node process (outside Jest's module registry, which replaces
 * node:module and so bypasses the Module._load hook installFunctionsCore patches), with the host's
 * functionsCore.ts transpiled and bound to `core`. `body` is CommonJS; what it passes to `done(value)` comes back.
 */
export const inPlainNode = (body: string): unknown => {
  const file = join(__dirname, "..", "functionsCore.ts");
  const script = `
    const ts = require("typescript");
    const Module = require("node:module");
    const path = require("node:path");
    const file = ${JSON.stringify(file)};
    const source = require("node:fs").readFileSync(file, "utf8");
    const options = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
    const compiled = new Module(file);
    compiled.filename = file;
    compiled.paths = Module._nodeModulePaths(path.dirname(file));
    compiled._compile(ts.transpileModule(source, { compilerOptions: options }).outputText, file);
    const core = compiled.exports;
    const done = (value) => process.stdout.write(JSON.stringify(value));
    ${body}
  `;
  return JSON.parse(
    execFileSync(process.execPath, ["-e", script], { cwd: join(__dirname, ".."), encoding: "utf8" }),
  );
};
