import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

import { captureFunctions, type FunctionsCoreShim } from "functions-local-host/testing";

const FUNCTIONS_DIR = path.join(__dirname, "..", "functions");

/** Every registration file of the app (the sources of package.json "main": dist/src/functions/*\/register.js). */
export const functionFiles = (): ReadonlyArray<string> =>
  readdirSync(FUNCTIONS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(FUNCTIONS_DIR, entry.name, "register.ts")))
    .map((entry) => path.join(FUNCTIONS_DIR, entry.name, "register.ts"))
    .sort();

/** Loads the whole app under a fresh functions-core shim and returns what it registered. */
export const loadApp = (): FunctionsCoreShim =>
  captureFunctions(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    for (const file of functionFiles()) require(file);
  });
