import * as http from "node:http";
import type { AddressInfo } from "node:net";

import { InvocationContext } from "@azure/functions";
import type * as DurableFunctions from "durable-functions";

import type { FunctionsCoreShim } from "../functionsCore";
import { captureFunctions } from "../test-support/captureFunctions";
import { freshTableName, testStorageConnection } from "../test-support/storage";
import { DurableRuntime, type DurableRuntimeOptions } from "./index";

/** Test support: captures df registrations, runs a DurableRuntime on fresh tables behind a loopback server, and
    gives the real durable-functions client pointed at it. */
export type Df = typeof DurableFunctions;

export const captureDurable = (register: (df: Df) => void): FunctionsCoreShim =>
  captureFunctions(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const df = require("durable-functions") as Df;
    const { app } = require("@azure/functions") as typeof import("@azure/functions"); // eslint-disable-line
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
  const taskHub = options.taskHub ?? freshTableName("dt");
  let runtime: DurableRuntime;
  const server = http.createServer((req, res) => {
    void runtime.handleHttp(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const make = async (extra: Partial<DurableRuntimeOptions>) => {
    const r = new DurableRuntime({
      shim,
      storageConnection: testStorageConnection(),
      taskHub,
      publicBaseUrl: () => baseUrl,
      ...options,
      ...extra,
    });
    runtime = r;
    await r.start();
    return r;
  };
  await make({});
  const df = jest.requireActual<Df>("durable-functions");
  const starter = shim.functions.get("durableStarter");
  if (starter === undefined) throw new Error("starter not captured");
  const context = new InvocationContext({
    functionName: starter.name,
    options: {
      trigger: { ...starter.trigger },
      extraInputs: Object.entries(starter.metadata.bindings)
        .filter(([name]) => name !== starter.trigger.name)
        .map(([name, binding]) => ({ ...binding, name })),
    },
  });
  runtime!.attachDurableClient(starter, context);
  const client = df.getClient(context);
  return {
    get runtime() {
      return runtime;
    },
    client,
    taskHub,
    baseUrl,
    restart: (extra = {}) => make(extra),
    close: async () => {
      await runtime.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

/** Starts an orchestration and waits for this runtime to finish all work; returns its final status. */
export const runToCompletion = async (h: Harness, name: string, input?: unknown, timeoutMs = 15_000) => {
  const id = await h.client.startNew(name, { input });
  await h.runtime.whenIdle(timeoutMs);
  return h.client.getStatus(id);
};
