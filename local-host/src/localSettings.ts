import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * The app's local.settings.json, read as `func start` reads it: `Values` become app settings (environment
 * variables) unless the environment already sets them, and `Host.LocalHttpPort` is the default HTTP port.
 * Other top-level keys (ConnectionStrings, Host.CORS...) are ignored. Values are never logged.
 */
export interface LocalSettings {
  readonly values: Readonly<Record<string, string>>;
  readonly localHttpPort?: number;
}

export const readLocalSettings = (appRoot: string): LocalSettings => {
  const file = path.join(appRoot, "local.settings.json");
  if (!existsSync(file)) return { values: {} };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    throw new Error(`${file} is not valid JSON`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new Error(`${file} must hold a JSON object`);
  const { IsEncrypted, Values, Host } = json as { IsEncrypted?: unknown; Values?: unknown; Host?: unknown };
  if (IsEncrypted === true)
    throw new Error(
      `${file} is encrypted (IsEncrypted: true): the local host cannot decrypt it; run \`func settings decrypt\` first`,
    );
  return { values: valuesOf(file, Values), ...portOf(file, Host) };
};

const valuesOf = (file: string, values: unknown): Record<string, string> => {
  if (values === undefined || values === null) return {};
  if (typeof values !== "object" || Array.isArray(values))
    throw new Error(`${file}: "Values" must be an object`);
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => {
      if (typeof value === "string") return [name, value];
      if (typeof value === "number" || typeof value === "boolean") return [name, String(value)];
      throw new Error(`${file}: Values.${name} must be a string`);
    }),
  );
};

const portOf = (file: string, host: unknown): { localHttpPort?: number } => {
  const port = (host as { LocalHttpPort?: unknown } | undefined)?.LocalHttpPort;
  if (port === undefined || port === null) return {};
  const n = typeof port === "string" ? Number(port) : port;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${file}: Host.LocalHttpPort must be a port number (0-65535)`);
  return { localHttpPort: n };
};

/**
 * The settings the app runs with: the environment wins, then Host.LocalHttpPort for PORT, then Values. Returns
 * the names that came from the file (for a count, never the values).
 */
export const applyLocalSettings = (
  env: NodeJS.ProcessEnv,
  settings: LocalSettings,
): ReadonlyArray<string> => {
  const applied: string[] = [];
  if (env.PORT === undefined && settings.localHttpPort !== undefined) {
    env.PORT = String(settings.localHttpPort);
    applied.push("PORT");
  }
  for (const [name, value] of Object.entries(settings.values)) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    applied.push(name);
  }
  return applied;
};
