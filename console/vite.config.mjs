// The operator console: a small Preact app, built to dist/console and served by the function app at /api/console/
// (src/functions/console). Hashed asset names (long-cached), nothing inline (the CSP allows only 'self').
import { fileURLToPath } from "node:url";

import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "/api/console/",
  logLevel: "warn",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: fileURLToPath(new URL("../dist/console", import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: "es2022",
  },
});
