import { readFileSync } from "node:fs";
import path from "node:path";

import { resolveSettingExpressions } from "./settingExpressions";

/** The parts of host.json the local runtime honours, with the Functions host's defaults. */
export interface HostSettings {
  readonly routePrefix: string;
  readonly maxEventBatchSize: number;
  readonly maxWaitTimeSeconds: number;
  readonly taskHub: string;
  readonly maxConcurrentActivities: number;
  /** host.json functionTimeout in ms; undefined means unbounded ("-1"). */
  readonly functionTimeoutMs: number | undefined;
}

/**
 * The Functions host's default functionTimeout outside the Consumption plan, which is what `func start` runs as
 * (ScriptHostOptionsSetup.DefaultFunctionTimeout: 30 minutes; 5 minutes only on the Consumption SKU).
 */
export const DEFAULT_FUNCTION_TIMEOUT_MS = 30 * 60_000;

const durationSeconds = (text: unknown, fallback: number): number => {
  if (typeof text !== "string") return fallback;
  const match = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(text);
  return match === null ? fallback : Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
};

/**
 * host.json functionTimeout: a TimeSpan `[d.]hh:mm:ss[.fff]` of at least one second, or "-1" for unbounded.
 * Anything else is refused (the Functions host refuses it too) rather than replaced by the default.
 */
export const functionTimeoutMs = (value: unknown): number | undefined => {
  if (value === undefined) return DEFAULT_FUNCTION_TIMEOUT_MS;
  if (value === "-1" || value === -1) return undefined;
  const match =
    typeof value === "string" ? /^(?:(\d+)\.)?(\d+):([0-5]\d):([0-5]\d(?:\.\d+)?)$/.exec(value) : null;
  const [days = 0, hours = 0, minutes = 0, seconds = 0] = (match?.slice(1) ?? []).map((part) =>
    Number(part ?? 0),
  );
  const ms = (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000;
  if (match === null || ms < 1000 || (match[1] !== undefined && hours > 23))
    throw new Error(
      `host.json functionTimeout must be a duration "[d.]hh:mm:ss" of at least 00:00:01, or "-1" for no limit`,
    );
  return ms;
};

/**
 * The task hub name, with `%Name%` app-setting expressions resolved as the Durable extension resolves them (so each
 * environment names its own hub). An unset or empty setting is a start-up error naming it. Task hub names are
 * 3-45 letters and digits, starting with a letter (they prefix the hub's tables).
 */
export const resolveTaskHub = (
  hubName: string,
  settings: Readonly<Record<string, string | undefined>>,
): string => {
  const resolved = resolveSettingExpressions(hubName, settings, "host.json extensions.durableTask.hubName");
  if (!/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(resolved))
    throw new Error(
      `host.json extensions.durableTask.hubName '${hubName}' must be 3-45 letters and digits starting with a letter`,
    );
  return resolved;
};

export const readHostJson = (appRoot: string): HostSettings => {
  const file = path.join(appRoot, "host.json");
  const json = JSON.parse(readFileSync(file, "utf8")) as {
    functionTimeout?: unknown;
    extensions?: {
      http?: { routePrefix?: string };
      eventHubs?: { maxEventBatchSize?: number; maxWaitTime?: string };
      durableTask?: { hubName?: string; maxConcurrentActivityFunctions?: number };
    };
  };
  const ext = json.extensions ?? {};
  return {
    routePrefix: ext.http?.routePrefix ?? "api",
    maxEventBatchSize: ext.eventHubs?.maxEventBatchSize ?? 100,
    maxWaitTimeSeconds: durationSeconds(ext.eventHubs?.maxWaitTime, 1),
    taskHub: ext.durableTask?.hubName ?? "TestHubName",
    maxConcurrentActivities: ext.durableTask?.maxConcurrentActivityFunctions ?? 10,
    functionTimeoutMs: functionTimeoutMs(json.functionTimeout),
  };
};
