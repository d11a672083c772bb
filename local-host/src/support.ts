import type { BindingInfo, CapturedFunction } from "./functionsCore";

/**
 * What the local host can run, checked once the app is loaded so that nothing it registered is silently ignored:
 * a registration the host cannot honour fails the start with an error naming the function and the feature.
 */

const TRIGGERS = new Set([
  "httptrigger",
  "eventhubtrigger",
  "timertrigger",
  "orchestrationtrigger",
  "activitytrigger",
  "entitytrigger",
]);
/** Triggers that get a durableClient input (HTTP, Event Hub, timer and activity invocations, as in Azure). */
const CLIENT_TRIGGERS = new Set(["httptrigger", "eventhubtrigger", "timertrigger", "activitytrigger"]);
const CLIENT_BINDINGS = new Set(["durableclient", "orchestrationclient"]);

/** A binding property as the app wrote it (never its resolved setting value). */
const shown = (value: unknown): string => JSON.stringify(value) ?? "undefined";

const triggerProblem = (fn: CapturedFunction): string | undefined => {
  const type = fn.trigger.type.toLowerCase();
  if (!TRIGGERS.has(type))
    return `trigger ${fn.trigger.type}: only HTTP, Event Hub, timer, orchestration, activity and entity triggers run`;
  if (type !== "eventhubtrigger") return undefined;
  // connection, eventHubName and consumerGroup are resolved and checked per trigger by eventHubTriggers.ts.
  const t = fn.trigger;
  if (t.dataType !== undefined && t.dataType !== "string")
    return `eventHubTrigger dataType ${shown(t.dataType)}: event bodies are handed over as text`;
  return undefined;
};

const bindingProblem = (fn: CapturedFunction, name: string, binding: BindingInfo): string | undefined => {
  const type = binding.type.toLowerCase();
  const triggerType = fn.trigger.type.toLowerCase();
  if (name === "$return" && type === "http" && triggerType === "httptrigger") return undefined;
  if (CLIENT_BINDINGS.has(type) && binding.direction !== "out" && CLIENT_TRIGGERS.has(triggerType))
    return undefined;
  return `${binding.direction ?? "in"}put binding ${binding.type}${name === "$return" ? " ($return)" : ` "${name}"`}: the host gives values only to a durableClient input of HTTP, Event Hub, timer and activity functions and the $return http output of HTTP functions`;
};

/** Every feature of `fn` the host cannot run, as "<feature>: <why>" (empty when it runs all of it). */
export const unsupportedFeatures = (fn: CapturedFunction): ReadonlyArray<string> => {
  const problems: string[] = [];
  const trigger = triggerProblem(fn);
  if (trigger !== undefined) problems.push(trigger);
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (name === fn.trigger.name) continue;
    const problem = bindingProblem(fn, name, binding);
    if (problem !== undefined) problems.push(problem);
  }
  const retry = (fn.metadata as { retryOptions?: unknown }).retryOptions;
  const retried = new Set(["timertrigger", "eventhubtrigger"]);
  if (retry !== undefined && !retried.has(fn.trigger.type.toLowerCase()))
    problems.push(
      `retry policy on ${fn.trigger.type}: only timer and Event Hub triggers take one (as in Azure)`,
    );
  return problems;
};

/** Refuses, by name, every registration with a feature the host cannot run. */
export const assertSupported = (functions: Iterable<CapturedFunction>): void => {
  const problems = [...functions].flatMap((fn) =>
    unsupportedFeatures(fn).map((problem) => `function "${fn.name}": ${problem}`),
  );
  if (problems.length > 0)
    throw new Error(
      `The local host cannot run every registration of this app, so it does not start:\n  ${problems.join("\n  ")}`,
    );
};
