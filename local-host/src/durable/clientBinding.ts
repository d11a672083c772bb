import type { InvocationContext } from "@azure/functions";

import type { CapturedFunction } from "../functionsCore";
import { jsonData, type RpcTypedData } from "../workerInvocation";

/**
 * The value the Functions host gives a `durableClient` input binding (durable-functions'
 * OrchestrationClientInputData). durable-functions 3.5.0 sends every client call to `rpcBaseUrl` when it is set
 * (startNew, getStatus*, raiseEvent, terminate, purge*), so that is the URL that matters; creationUrls and
 * managementUrls must exist (the client checks for them) and are what createCheckStatusResponse hands out.
 */
export const DURABLE_PATH_PREFIX = "/runtime/webhooks/durabletask/";

export interface DurableClientBindingValue {
  readonly taskHubName: string;
  readonly creationUrls: Readonly<Record<string, string>>;
  readonly managementUrls: Readonly<Record<string, string>>;
  readonly baseUrl: string;
  readonly requiredQueryStringParameters: string;
  readonly rpcBaseUrl: string;
}

export const clientBindingValue = (publicBaseUrl: string, taskHub: string): DurableClientBindingValue => {
  const base = `${publicBaseUrl.replace(/\/+$/, "")}${DURABLE_PATH_PREFIX.replace(/\/$/, "")}`;
  const query = `taskHub=${taskHub}&connection=Storage`;
  const instance = `${base}/instances/INSTANCEID`;
  return {
    taskHubName: taskHub,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${query}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
    },
    managementUrls: {
      id: "INSTANCEID",
      statusQueryGetUri: `${instance}?${query}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
      purgeHistoryDeleteUri: `${instance}?${query}`,
      restartPostUri: `${instance}/restart?${query}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
      resumePostUri: `${instance}/resume?reason={text}&${query}`,
    },
    baseUrl: base,
    requiredQueryStringParameters: query,
    rpcBaseUrl: `${base}/`,
  };
};

const isClientBinding = (type: string): boolean => type === "durableClient" || type === "orchestrationClient";

/** Sets the client binding value as the extra input of every durableClient binding `fn` declares. */
export const attachDurableClient = (
  fn: CapturedFunction,
  context: InvocationContext,
  value: unknown,
): void => {
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (isClientBinding(binding.type)) context.extraInputs.set(name, value);
  }
};

/** The client binding value as the worker's JSON input of every durableClient binding `fn` declares. */
export const clientInputsOf = (
  fn: CapturedFunction,
  value: () => unknown,
): Readonly<Record<string, RpcTypedData>> =>
  Object.fromEntries(
    Object.entries(fn.metadata.bindings)
      .filter(([, binding]) => isClientBinding(binding.type))
      .map(([name]) => [name, jsonData(value())]),
  );
