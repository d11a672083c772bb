import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

/**
 * Contract-test support: the packages whose internals the host reaches into are pinned to one exact version in
 * local-host/package.json (rhea in dependencies, @azure/functions and durable-functions as peer and dev
 * dependencies). A contract test per package checks the pin and exercises every internal the host relies on.
 */
type Sections = Partial<
  Record<"dependencies" | "peerDependencies" | "devDependencies", Record<string, string>>
>;

const EXACT_VERSION = /^\d+\.\d+\.\d+$/;

const hostPackage = (): Sections =>
  JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as Sections;

/** Every version local-host/package.json gives `pkg`, one per section that names it. */
export const pinsOf = (pkg: string): string[] => {
  const sections = hostPackage();
  return [sections.dependencies, sections.peerDependencies, sections.devDependencies].flatMap((s) =>
    s?.[pkg] === undefined ? [] : [s[pkg]],
  );
};

/** The version Node resolves for `pkg` from the host's own sources (what the host loads at run time). */
export const installedVersion = (pkg: string): string =>
  (createRequire(__filename)(`${pkg}/package.json`) as { version: string }).version;

/** Why `pkg` is not pinned to exactly the installed version (undefined when it is). */
export const pinMismatch = (pkg: string): string | undefined => {
  const pins = pinsOf(pkg);
  const installed = installedVersion(pkg);
  const exact = pins.length > 0 && pins.every((p) => EXACT_VERSION.test(p) && p === pins[0]);
  if (exact && pins[0] === installed) return undefined;
  return (
    `local-host/package.json pins ${pkg} as ${pins.length === 0 ? "nothing" : pins.join(", ")} and ` +
    `${installed} is installed: the host depends on internals of ${pkg}; re-run the contract tests before ` +
    "changing this pin (one exact version, the same in every section)"
  );
};
