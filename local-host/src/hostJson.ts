import { readFileSync } from "node:fs";
import path from "node:path";

/** The parts of host.json the local runtime honours, with the Functions host's defaults. */
export interface HostSettings {
  readonly routePrefix: string;
  readonly maxEventBatchSize: number;
  readonly maxWaitTimeSeconds: number;
  readonly taskHub: string;
  readonly maxConcurrentActivities: number;
}

const durationSeconds = (text: unknown, fallback: number): number => {
  if (typeof text !== "string") return fallback;
  const match = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(text);
  return match === null ? fallback : Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
};

export const readHostJson = (appRoot: string): HostSettings => {
  const file = path.join(appRoot, "host.json");
  const json = JSON.parse(readFileSync(file, "utf8")) as {
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
  };
};
