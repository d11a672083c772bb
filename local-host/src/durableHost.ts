import { randomBytes } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

import { InvocationContext } from "@azure/functions";

import { DurableRuntime, type DurableRuntimeOptions } from "./durable";
import { FunctionsCoreShim, installFunctionsCore } from "./functionsCore";

/**
 * Captures what `load` registers (app.* and df.app.* calls, or requires of modules that make them) with a fresh
 * shim, through the same Node module hook the local runtime loads apps with; works outside jest (scripts,
 * benchmarks). @azure/functions looks its core module up once per process, at its first registration, so capture
 * once, before anything else in the process registers.
 */
export const captureRegistrations = (load: () => void): FunctionsCoreShim => {
  const shim = new FunctionsCoreShim();
  const uninstall = installFunctionsCore(shim);
  try {
    load();
  } finally {
    uninstall();
  }
  return shim;
};

export interface DurableHostOptions {
  readonly storageConnection: string;
  /** Default: a fresh random name, so every host starts on empty tables. */
  readonly taskHub?: string;
  readonly maxConcurrentActivities?: number;
  readonly maxLoadedOrchestrations?: number;
}

/** A durable runtime for captured registrations, alone (no triggers), behind its own loopback HTTP server. */
export interface RunningDurableHost {
  readonly runtime: DurableRuntime;
  readonly taskHub: string;
  readonly baseUrl: string;
  /**
   * An InvocationContext whose durableClient input holds this host's binding value: what durable-functions'
   * `df.getClient(context)` takes to give a client talking to this host.
   */
  clientContext(): InvocationContext;
  stop(): Promise<void>;
}

/** The host and a way to replace its runtime over the same tables and server (for restart tests). */
export interface ServedDurable extends RunningDurableHost {
  replaceRuntime(extra?: Partial<DurableRuntimeOptions>): Promise<DurableRuntime>;
}

const CLIENT_INPUT = { name: "durableClient", type: "durableClient" } as const;

export const serveDurable = async (
  shim: FunctionsCoreShim,
  options: DurableHostOptions & Partial<DurableRuntimeOptions>,
): Promise<ServedDurable> => {
  const taskHub = options.taskHub ?? `dh${randomBytes(6).toString("hex")}`;
  let runtime: DurableRuntime | undefined;
  const server = http.createServer((req, res) => {
    if (runtime === undefined) return void res.writeHead(503).end();
    void runtime.handleHttp(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const make = async (extra: Partial<DurableRuntimeOptions>): Promise<DurableRuntime> => {
    const next = new DurableRuntime({ shim, publicBaseUrl: () => baseUrl, ...options, taskHub, ...extra });
    runtime = next;
    await next.start();
    return next;
  };
  const first = await make({});
  const current = (): DurableRuntime => runtime ?? first;
  return {
    get runtime() {
      return current();
    },
    taskHub,
    baseUrl,
    clientContext: () => {
      const context = new InvocationContext({
        functionName: "durableHostClient",
        options: { trigger: { name: "trigger", type: "httpTrigger" }, extraInputs: [CLIENT_INPUT] },
      });
      context.extraInputs.set(CLIENT_INPUT.name, current().clientBindingValue());
      return context;
    },
    replaceRuntime: (extra = {}) => make(extra),
    stop: async () => {
      await current().stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

/** Starts a durable runtime for `shim`'s orchestrations and activities on fresh tables (unless `taskHub` is given). */
export const startDurableHost = (
  shim: FunctionsCoreShim,
  options: DurableHostOptions,
): Promise<RunningDurableHost> => serveDurable(shim, options);
