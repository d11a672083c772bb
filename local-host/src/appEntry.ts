import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/** One path segment of a `main` glob as a regular expression: `*` is any run of characters but `/`. */
const segmentPattern = (segment: string): RegExp =>
  new RegExp(
    "^" +
      segment
        .split("*")
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*") +
      "$",
  );

const entries = (dir: string): ReadonlyArray<string> => {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
};

const isDirectory = (file: string): boolean => {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
};

const isFile = (file: string): boolean => {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
};

/** Expands a glob of `*` and `**` segments (what the Node worker accepts in `main`) under `dir`. */
const expand = (dir: string, segments: ReadonlyArray<string>): ReadonlyArray<string> => {
  const [head, ...rest] = segments;
  if (head === undefined) return [dir];
  if (head === "**")
    return [
      ...expand(dir, rest),
      ...entries(dir)
        .map((name) => path.join(dir, name))
        .filter(isDirectory)
        .flatMap((sub) => expand(sub, segments)),
    ];
  if (!head.includes("*")) return expand(path.join(dir, head), rest);
  const pattern = segmentPattern(head);
  return entries(dir)
    .filter((name) => pattern.test(name))
    .flatMap((name) => expand(path.join(dir, name), rest));
};

/**
 * The files the Node worker would load for the app in `appRoot`: its package.json `main`, a file or a glob
 * (`dist/src/functions/*\/register.js`), in path order. An app whose main matches no file is refused by name.
 */
export const mainEntryPoints = (appRoot: string): ReadonlyArray<string> => {
  const file = path.join(appRoot, "package.json");
  const main = (JSON.parse(readFileSync(file, "utf8")) as { main?: unknown }).main;
  if (typeof main !== "string" || main.trim() === "")
    throw new Error(`${file} has no "main": the local host loads the app's registrations from it`);
  const found = expand(
    appRoot,
    main.split(/[\\/]+/).filter((s) => s !== "" && s !== "."),
  )
    .filter(isFile)
    .sort();
  if (found.length === 0)
    throw new Error(`package.json "main" (${main}) matches no file under ${appRoot}: build the app first`);
  return [...new Set(found)];
};
