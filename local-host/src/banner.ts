import type { CapturedFunction, FunctionsCoreShim } from "./functionsCore";
import type { RunningLocalRuntime, RuntimeInfo } from "./runtime";

/**
 * What `functions-local-host start` prints once the app is up, like `func start`'s function list: the HTTP
 * functions with their methods and URLs, the others by trigger type, the admin key and the connections. A
 * connection string is shown only for the services this host started (their keys are the public emulator
 * ones); a configured one is named by its setting, never shown.
 */

const DEFAULT_METHODS = ["GET", "POST"];

/** `<adminUrl>/<route>`, where route defaults to the function name (httpRoutes.ts). */
export const functionUrl = (info: RuntimeInfo, fn: CapturedFunction): string => {
  const route = typeof fn.trigger.route === "string" ? fn.trigger.route : fn.name;
  return `${info.adminUrl.replace(/\/+$/, "")}/${route.replace(/^\/+/, "")}`;
};

const methodsOf = (fn: CapturedFunction): string => {
  const methods = Array.isArray(fn.trigger.methods) ? fn.trigger.methods.map(String) : DEFAULT_METHODS;
  return methods.map((m) => m.toUpperCase()).join(",");
};

/** One line per function: HTTP ones first with methods and URL, then the others grouped by trigger type. */
export const functionLines = (shim: FunctionsCoreShim, info: RuntimeInfo): ReadonlyArray<string> => {
  const functions = [...shim.functions.values()];
  const http = functions.filter((fn) => fn.trigger.type.toLowerCase() === "httptrigger");
  const width = Math.max(0, ...http.map((fn) => fn.name.length));
  const others = new Map<string, string[]>();
  for (const fn of functions) {
    if (http.includes(fn)) continue;
    others.set(fn.trigger.type, [...(others.get(fn.trigger.type) ?? []), fn.name]);
  }
  return [
    ...(http.length === 0 ? [] : ["HTTP functions:"]),
    ...http.map((fn) => `  ${fn.name.padEnd(width)}  [${methodsOf(fn)}] ${functionUrl(info, fn)}`),
    ...[...others].map(([type, names]) => `${type}: ${names.join(", ")}`),
  ];
};

/** The admin key and the storage and Event Hubs connections, as label/value lines. */
export const serviceLines = (
  runtime: Pick<RunningLocalRuntime, "info" | "services">,
): ReadonlyArray<string> => {
  const { info, services } = runtime;
  return [
    `Admin key   ${info.adminKey}   (x-functions-key header or ?code=; set ADMIN_KEY to choose one)`,
    `Storage     ${services.storageEmbedded ? services.storageConnectionString : "the account AzureWebJobsStorage names"}`,
    `Event Hub   ${services.eventHubsEmbedded ? info.eventHubConnectionString : "the namespace EVENTHUB_CONNECTION names"}   (hub ${info.eventHubName})`,
    `Data        ${info.dataDir}`,
  ];
};

/** The whole banner of `functions-local-host start`. */
export const hostBanner = (runtime: RunningLocalRuntime): string =>
  [
    "",
    ...functionLines(runtime.shim, runtime.info).map((line) => `  ${line}`),
    "",
    ...serviceLines(runtime).map((line) => `  ${line}`),
    "",
    "  Ctrl+C stops everything.",
    "",
  ].join("\n");
