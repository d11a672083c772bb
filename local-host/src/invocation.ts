import { randomUUID } from "node:crypto";

import { InvocationContext, type LogLevel } from "@azure/functions";

import type { CapturedFunction } from "./functionsCore";

export type LocalLog = (level: LogLevel, functionName: string, message: string) => void;

/**
 * An InvocationContext as the Node worker builds one for a captured function: the trigger and extra bindings
 * from its metadata (so durable-functions' getClient finds its durableClient binding), trigger metadata, and a
 * log handler.
 */
export const invocationContextFor = (
  fn: CapturedFunction,
  options: { triggerMetadata?: Record<string, unknown>; log: LocalLog },
): InvocationContext => {
  const bindings = Object.entries(fn.metadata.bindings).map(([name, binding]) => ({ ...binding, name }));
  const extraInputs = bindings.filter((b) => b.name !== fn.trigger.name && b.direction === "in");
  const extraOutputs = bindings.filter((b) => b.name !== "$return" && b.direction === "out");
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName: fn.name,
    ...(options.triggerMetadata === undefined ? {} : { triggerMetadata: options.triggerMetadata }),
    options: {
      trigger: fn.trigger,
      extraInputs: extraInputs,
      extraOutputs: extraOutputs,
    },
    logHandler: (level, ...args) => options.log(level, fn.name, args.map(String).join(" ")),
  });
};
