import { readdirSync } from "node:fs";
import path from "node:path";

import { captureFunctions, type FunctionsCoreShim } from "functions-local-host/testing";

const FUNCTIONS_DIR = path.join(__dirname, "..", "functions");

/** Every registration file of the app (what package.json "main" points the host at). */
export const functionFiles = (): ReadonlyArray<string> =>
  readdirSync(FUNCTIONS_DIR)
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
    .map((file) => path.join(FUNCTIONS_DIR, file));

/** Loads the whole app under a fresh functions-core shim and returns what it registered. */
export const loadApp = (): FunctionsCoreShim =>
  captureFunctions(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    for (const file of functionFiles()) require(file);
  });
