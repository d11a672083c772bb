import type { CapturedFunction } from "./functionsCore";
import { resolveSettingExpressions } from "./settingExpressions";

/**
 * What one Event Hub trigger reads, from its own `connection`, `eventHubName` and `consumerGroup` and the app
 * settings, the way the Functions host resolves them: `connection` names an app setting that holds a connection
 * string; `eventHubName` and `consumerGroup` may hold `%Setting%` expressions; a connection string's EntityPath
 * names the hub when `eventHubName` is absent.
 */
export interface EventHubTriggerSource {
  readonly fn: CapturedFunction;
  /** The app setting the trigger's `connection` names. */
  readonly connectionSetting: string;
  /**
   * "embedded": the setting is unset, empty, a development-emulator string or a local identity namespace, so the
   * embedded endpoint serves it. Else the real namespace's connection string, used as is.
   */
  readonly connection: { readonly kind: "embedded" } | { readonly kind: "external"; readonly value: string };
  readonly eventHubName: string;
  readonly consumerGroup: string;
}

type Settings = Readonly<Record<string, string | undefined>>;

const isUnset = (value: string | undefined): value is undefined | "" => value === undefined || value === "";

export const isDevelopmentEmulator = (connectionString: string | undefined): boolean =>
  isUnset(connectionString) || /UseDevelopmentEmulator\s*=\s*true/i.test(connectionString);

/** The EntityPath of a connection string, if it has a non-empty one. */
export const entityPathOf = (connectionString: string): string | undefined => {
  const match = /(?:^|;)\s*EntityPath\s*=\s*([^;]*)/i.exec(connectionString);
  const path = match?.[1]?.trim();
  return path === undefined || path === "" ? undefined : path;
};

/** A local identity namespace: the embedded endpoint, whatever the port (it is the only one on this machine). */
const isLocalNamespace = (namespace: string): boolean =>
  /^(sb:\/\/)?(localhost|127\.0\.0\.1)(:\d+)?\/?$/i.test(namespace.trim());

const connectionOf = (
  functionName: string,
  setting: string,
  settings: Settings,
): EventHubTriggerSource["connection"] => {
  const value = settings[setting];
  if (!isUnset(value))
    return isDevelopmentEmulator(value) ? { kind: "embedded" } : { kind: "external", value };
  const namespace = settings[`${setting}__fullyQualifiedNamespace`];
  if (isUnset(namespace) || isLocalNamespace(namespace)) return { kind: "embedded" };
  throw new Error(
    `Function '${functionName}': connection '${setting}' is identity-based (${setting}__fullyQualifiedNamespace=` +
      `${namespace}), which the local host cannot use: set ${setting} to a connection string, or leave both ` +
      `unset (or the namespace localhost) to use the embedded Event Hubs endpoint`,
  );
};

const stringProperty = (fn: CapturedFunction, property: string): string | undefined => {
  const value = fn.trigger[property];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string")
    throw new Error(`Function '${fn.name}': ${property} must be a string, got ${typeof value}`);
  return value;
};

/** Resolves one Event Hub trigger against the app settings; throws a start-up error naming the function. */
export const resolveEventHubTrigger = (fn: CapturedFunction, settings: Settings): EventHubTriggerSource => {
  const connectionSetting = stringProperty(fn, "connection");
  if (connectionSetting === undefined)
    throw new Error(`Function '${fn.name}': an Event Hub trigger needs a connection (an app setting's name)`);
  const connection = connectionOf(fn.name, connectionSetting, settings);
  const resolve = (property: string): string | undefined => {
    const text = stringProperty(fn, property);
    return text === undefined
      ? undefined
      : resolveSettingExpressions(text, settings, `Function '${fn.name}': ${property}`);
  };
  const named = resolve("eventHubName");
  const entityPath = entityPathOf(settings[connectionSetting] ?? "");
  if (named !== undefined && entityPath !== undefined && named.toLowerCase() !== entityPath.toLowerCase())
    throw new Error(
      `Function '${fn.name}': eventHubName '${named}' differs from EntityPath '${entityPath}' of ` +
        `${connectionSetting}: drop one of them or make them agree`,
    );
  const eventHubName = entityPath ?? named;
  if (eventHubName === undefined)
    throw new Error(
      `Function '${fn.name}': no Event Hub: set eventHubName, or EntityPath in ${connectionSetting}'s connection string`,
    );
  return {
    fn,
    connectionSetting,
    connection,
    eventHubName,
    consumerGroup: resolve("consumerGroup") ?? "$default",
  };
};
