import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium (apt-get install chromium; .ci/run installs it), or CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export interface Browser {
  readonly context: BrowserContext;
  /** A new tab at `width` x `height`, recording dialogs and page errors (a script that ran would show up here). */
  page(size?: { width: number; height: number }): Promise<Page & { dialogs: string[]; errors: string[] }>;
  close(): Promise<void>;
}

/** Chromium with a fresh user-data-dir (no profile, no stored state), removed on close. */
export const launchBrowser = async (): Promise<Browser> => {
  const profile = mkdtempSync(path.join(tmpdir(), "console-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    async page(size = { width: 1280, height: 800 }) {
      const page = (await context.newPage()) as Page & { dialogs: string[]; errors: string[] };
      page.dialogs = [];
      page.errors = [];
      page.on("dialog", (dialog) => {
        page.dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      page.on("pageerror", (error) => page.errors.push(error.message));
      await page.setViewportSize(size);
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
};
