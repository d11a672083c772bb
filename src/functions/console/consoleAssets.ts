import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

import { type HttpRequest, type HttpResponseInit } from "@azure/functions";

/**
 * The operator console's static files (built by Vite from console/ into dist/console), served by the function
 * app. The page is public (it holds no data); every call it makes to the admin API carries the operator's key.
 * Hashed assets are cached for a year; index.html is revalidated on every load so a deployment shows at once.
 */

/** Only 'self': no inline script or style, no framing, no plugins, no form posts elsewhere. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly immutable: boolean;
}

/** Every file under `root`, by its path relative to it ("index.html", "assets/index-abc123.js"). */
const readAll = (root: string): ReadonlyMap<string, Asset> => {
  const assets = new Map<string, Asset>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) {
        walk(full);
        continue;
      }
      const relative = path.relative(root, full).split(path.sep).join("/");
      assets.set(relative, {
        body: readFileSync(full),
        contentType: CONTENT_TYPES[path.extname(name)] ?? "application/octet-stream",
        immutable: relative.startsWith("assets/"),
      });
    }
  };
  walk(root);
  return assets;
};

/** The built console beside the compiled app: dist/src/functions/console -> dist/console. */
export const DEFAULT_CONSOLE_ROOT = path.resolve(__dirname, "..", "..", "..", "console");

export const makeConsoleAssets = (root: string = DEFAULT_CONSOLE_ROOT) => {
  let assets: ReadonlyMap<string, Asset> | undefined;
  const load = (): ReadonlyMap<string, Asset> => (assets ??= readAll(root));

  return (request: HttpRequest): Promise<HttpResponseInit> => Promise.resolve(serve(request));

  function serve(request: HttpRequest): HttpResponseInit {
    const wanted = (request.params.path ?? "").replace(/^\/+/, "");
    let files: ReadonlyMap<string, Asset>;
    try {
      files = load();
    } catch {
      // Failure policy: a deployment without the built console answers 404 naming the cause, never a 500 loop.
      return notFound("The console is not built into this deployment (npm run build builds it)");
    }
    const asset = files.get(wanted === "" ? "index.html" : wanted);
    if (asset === undefined) return notFound("No such console file");
    return {
      status: 200,
      headers: {
        ...SECURITY_HEADERS,
        "content-type": asset.contentType,
        "cache-control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
      },
      body: asset.body,
    };
  }
};

const notFound = (text: string): HttpResponseInit => ({
  status: 404,
  headers: { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8", "cache-control": "no-cache" },
  body: text,
});
