import type * as AzureFunctions from "@azure/functions";
import type * as DurableFunctions from "durable-functions";

import { serveDurable } from "../durableHost";
import type { FunctionsCoreShim } from "../functionsCore";
import { captureFunctions } from "../test-support/captureFunctions";
import { freshTableName, testStorageConnection } from "../test-support/storage";
import { type DurableRuntime, type DurableRuntimeOptions } from "./index";

/** Test support: captures df registrations, runs a DurableRuntime on fresh tables behind a loopback server, and
    gives the real durable-functions client pointed at it. */
export type Df = typeof DurableFunctions;

export const captureDurable = (register: (df: Df) => void): FunctionsCoreShim =>
  captureFunctions(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const df = require("durable-functions") as Df;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { app } = require("@azure/functions") as typeof AzureFunctions;
    // An HTTP function with a durableClient input, as the README documents (the client contract test uses it).
    app.http("durableStarter", {
      route: "starter",
      extraInputs: [df.input.durableClient()],
      handler: () => ({ status: 204 }),
    });
    register(df);
  });

export interface Harness {
  readonly runtime: DurableRuntime;
  readonly client: DurableFunctions.DurableClient;
  readonly taskHub: string;
  readonly baseUrl: string;
  /** A new runtime over the same tables and server (the old object is dropped without stop: a "crash"). */
  restart(options?: Partial<DurableRuntimeOptions>): Promise<DurableRuntime>;
  close(): Promise<void>;
}

export const startHarness = async (
  shim: FunctionsCoreShim,
  options: Partial<DurableRuntimeOptions> = {},
): Promise<Harness> => {
  const served = await serveDurable(shim, {
    storageConnection: testStorageConnection(),
    taskHub: options.taskHub ?? freshTableName("dt"),
    ...options,
  });
  const df = jest.requireActual<Df>("durable-functions");
  const client = df.getClient(served.clientContext());
  return {
    get runtime() {
      return served.runtime;
    },
    client,
    taskHub: served.taskHub,
    baseUrl: served.baseUrl,
    restart: (extra = {}) => served.replaceRuntime(extra),
    close: () => served.stop(),
  };
};

/** Starts an orchestration and waits for this runtime to finish all work; returns its final status. */
export const runToCompletion = async (h: Harness, name: string, input?: unknown, timeoutMs = 15_000) => {
  const id = await h.client.startNew(name, { input });
  await h.runtime.whenIdle(timeoutMs);
  return h.client.getStatus(id);
};
