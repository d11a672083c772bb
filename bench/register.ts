/**
 * Runs the bench's TypeScript straight from source: a require hook that transpiles each .ts file on load with
 * typescript's transpileModule (no type check here; `npm run lint` type-checks bench/ with the rest). Running from
 * source keeps `__dirname` where the code lives, which __integrations__/agent/runtimeProcess.ts relies on to find
 * dist/devtools/cli.js. Compiled by bench/tsconfig.json to dist/bench/register.js and loaded with `node -r`.
 */
import { readFileSync } from "node:fs";

import ts from "typescript";

interface CompilableModule {
  _compile(code: string, filename: string): void;
}

const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  esModuleInterop: true,
  inlineSourceMap: true,
};

require.extensions[".ts"] = (module, filename) => {
  const source = readFileSync(filename, "utf8");
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  (module as unknown as CompilableModule)._compile(outputText, filename);
};
