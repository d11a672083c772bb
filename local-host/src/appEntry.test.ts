import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { mainEntryPoints } from "./appEntry";

const appWith = (main: unknown, files: ReadonlyArray<string>): string => {
  const root = mkdtempSync(path.join(tmpdir(), "app-entry-"));
  writeFileSync(path.join(root, "package.json"), JSON.stringify(main === undefined ? {} : { main }));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), "");
  }
  return root;
};

describe("mainEntryPoints", () => {
  it("expands a * segment per folder, in path order, skipping files that do not match", () => {
    const root = appWith("dist/src/functions/*/register.js", [
      "dist/src/functions/webhooks/register.js",
      "dist/src/functions/ingest/register.js",
      "dist/src/functions/ingest/ingest.js",
      "dist/src/functions/http/problem.js",
    ]);
    expect(mainEntryPoints(root).map((f) => path.relative(root, f))).toEqual([
      "dist/src/functions/ingest/register.js",
      "dist/src/functions/webhooks/register.js",
    ]);
  });

  it("takes a single file, a *.js pattern and ** folders", () => {
    expect(mainEntryPoints(appWith("dist/index.js", ["dist/index.js"])).map((f) => path.basename(f))).toEqual(
      ["index.js"],
    );
    const flat = appWith("dist/functions/*.js", ["dist/functions/a.js", "dist/functions/b.js", "dist/x.js"]);
    expect(mainEntryPoints(flat).map((f) => path.relative(flat, f))).toEqual([
      "dist/functions/a.js",
      "dist/functions/b.js",
    ]);
    const deep = appWith("dist/**/*.fn.js", ["dist/a.fn.js", "dist/x/y/b.fn.js", "dist/x/c.js"]);
    expect(mainEntryPoints(deep).map((f) => path.relative(deep, f))).toEqual([
      "dist/a.fn.js",
      "dist/x/y/b.fn.js",
    ]);
  });

  it("refuses an app without main, or whose main matches nothing, naming the setting", () => {
    expect(() => mainEntryPoints(appWith(undefined, []))).toThrow(/has no "main"/);
    expect(() => mainEntryPoints(appWith("dist/*/register.js", ["dist/a/other.js"]))).toThrow(
      /"main" \(dist\/\*\/register.js\) matches no file .*build the app first/,
    );
  });
});
