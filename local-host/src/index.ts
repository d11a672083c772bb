/**
 * The local host's public API: what apps, their dev tools and their tests may use. Anything not exported here
 * (or from "functions-local-host/testing") is the host's own business and may change without notice.
 */
export { mainEntryPoints } from "./appEntry";
export {
  AZURITE_ACCOUNT,
  azuriteConnectionString,
  type AzuriteOptions,
  type RunningAzurite,
  startAzurite,
} from "./azurite";
export { functionLines, functionUrl, hostBanner, serviceLines } from "./banner";
export {
  captureRegistrations,
  type DurableHostOptions,
  type RunningDurableHost,
  startDurableHost,
} from "./durableHost";
export { type EmulatorsInfo, type RunningEmulators, startEmulators } from "./emulators";
export {
  type EventHubsEmulatorOptions,
  type HubConfig,
  type RunningEventHubsEmulator,
  startEventHubsEmulator,
} from "./eventhubs";
export { type ForegroundOptions, runInForeground, stderrLog } from "./foreground";
export { type CapturedFunction, FunctionsCoreShim, installFunctionsCore } from "./functionsCore";
export { type HttpHostOptions, type RunningHttpHost, startHttpHost } from "./httpHost";
export { type LocalLog } from "./invocation";
export {
  type LocalRuntimeOptions,
  type RunningLocalRuntime,
  type RuntimeInfo,
  type RuntimeServices,
  startLocalRuntime,
} from "./runtime";
