import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { headerOf, httpRequest } from "../../test-support/http";
import { CONTENT_SECURITY_POLICY, DEFAULT_CONSOLE_ROOT, makeConsoleAssets } from "./consoleAssets";

const built = () => {
  const root = mkdtempSync(path.join(tmpdir(), "console-"));
  mkdirSync(path.join(root, "assets"));
  writeFileSync(path.join(root, "index.html"), "<!doctype html><title>x</title>");
  writeFileSync(path.join(root, "assets", "index-abc123.js"), "console.log(1)");
  return makeConsoleAssets(root);
};
const get = (serve: ReturnType<typeof makeConsoleAssets>, p: string | undefined) =>
  serve(
    httpRequest({
      method: "GET",
      path: `/api/console/${p ?? ""}`,
      params: p === undefined ? {} : { path: p },
    }),
  );

describe("the console's static files", () => {
  it("serves index.html at /api/console, revalidated on every load, under a strict CSP", async () => {
    const response = await get(built(), undefined);
    expect(response.status).toBe(200);
    expect(headerOf(response, "content-type")).toBe("text/html; charset=utf-8");
    expect(headerOf(response, "cache-control")).toBe("no-cache");
    expect(headerOf(response, "content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toContain("unsafe-inline");
    expect(headerOf(response, "x-content-type-options")).toBe("nosniff");
  });

  it("caches hashed assets for a year, and answers 404 for anything else (no path escapes the folder)", async () => {
    const serve = built();
    const asset = await get(serve, "assets/index-abc123.js");
    expect(headerOf(asset, "cache-control")).toBe("public, max-age=31536000, immutable");
    expect(headerOf(asset, "content-type")).toBe("text/javascript; charset=utf-8");
    for (const p of ["assets/nope.js", "../package.json", "..%2Fpackage.json", "/etc/passwd"])
      expect((await get(serve, p)).status).toBe(404);
  });

  it("is built by npm run build:dev with no inline script or style in its page", () => {
    // Compiled, this module sits in dist/src/functions/console and serves dist/console.
    expect(DEFAULT_CONSOLE_ROOT).toBe(path.resolve(__dirname, "..", "..", "..", "console"));
    const index = readFileSync(
      path.resolve(__dirname, "..", "..", "..", "dist", "console", "index.html"),
      "utf8",
    );
    expect(index).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(index).not.toMatch(/<style|style=/);
    expect(index).toMatch(/src="\/api\/console\/assets\/index-[\w-]+\.js"/);
  });

  it("renders everything a receiver or producer wrote as text: the sources never set HTML", () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? sources(path.join(dir, e.name)) : [path.join(dir, e.name)],
      );
    const offending = sources(path.resolve(__dirname, "..", "..", "..", "console", "src")).filter((file) =>
      /dangerouslySetInnerHTML|innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/.test(
        readFileSync(file, "utf8"),
      ),
    );
    expect(offending).toEqual([]);
  });
});
