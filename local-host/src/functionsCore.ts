import Module from "node:module";

/**
 * A stand-in for the Azure Functions Node worker's `@azure/functions-core` module. `@azure/functions` (and so
 * durable-functions' `df.app.*`) calls registerFunction for every `app.*` registration; the worker would index
 * them and invoke the callbacks. Installed before the app loads, this captures the same registrations unchanged
 * so the local runtime (and tests) can host them. Invocation calls the captured callback directly with the
 * trigger value and an InvocationContext, the shape every v4 handler receives.
 */

export interface BindingInfo {
  readonly type: string;
  readonly direction?: string;
  readonly [key: string]: unknown;
}

export interface FunctionMetadata {
  readonly name: string;
  readonly functionId?: string;
  readonly bindings: Readonly<Record<string, BindingInfo>>;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface CapturedFunction {
  readonly name: string;
  readonly metadata: FunctionMetadata;
  readonly callback: FunctionCallback;
  /** The binding whose type ends in "Trigger" (httpTrigger, eventHubTrigger, orchestrationTrigger, ...). */
  readonly trigger: BindingInfo & { readonly name: string };
}

export type HookCallback = (context: Record<string, unknown>) => void | Promise<void>;
type LogSink = (level: string, category: string, message: string) => void;

class Disposable {
  static from(...items: ReadonlyArray<{ dispose: () => unknown }>): Disposable {
    return new Disposable(() => items.forEach((item) => item.dispose()));
  }
  constructor(private callOnDispose?: () => unknown) {}
  dispose(): void {
    this.callOnDispose?.();
    this.callOnDispose = undefined;
  }
}

export class FunctionsCoreShim {
  readonly functions = new Map<string, CapturedFunction>();
  readonly hooks = new Map<string, HookCallback[]>();
  private model: unknown;
  /** Shared by every hook of the app for its whole life (the worker's appHookData). */
  readonly appHookData: Record<string, unknown> = {};
  readonly Disposable = Disposable;

  constructor(private readonly logSink: LogSink = () => undefined) {}

  /** The module object that `require("@azure/functions-core")` returns. */
  module(): Record<string, unknown> {
    return {
      registerFunction: this.registerFunction.bind(this),
      registerHook: this.registerHook.bind(this),
      setProgrammingModel: (model: unknown) => {
        this.model = model;
      },
      getProgrammingModel: () => this.model,
      log: (level: string, category: string, message: string) => this.logSink(level, category, message),
      Disposable,
    };
  }

  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    if (this.functions.has(metadata.name)) {
      throw new Error(`A function named "${metadata.name}" is already registered`);
    }
    const trigger = Object.entries(metadata.bindings).find(([, binding]) => /trigger$/i.test(binding.type));
    if (trigger === undefined) throw new Error(`Function "${metadata.name}" has no trigger binding`);
    this.functions.set(metadata.name, {
      name: metadata.name,
      metadata,
      callback,
      trigger: { ...trigger[1], name: trigger[0] },
    });
    return new Disposable(() => this.functions.delete(metadata.name));
  }

  registerHook(hookName: string, callback: HookCallback): Disposable {
    const list = this.hooks.get(hookName) ?? [];
    list.push(callback);
    this.hooks.set(hookName, list);
    return new Disposable(() => list.splice(list.indexOf(callback), 1));
  }

  /** What the app handed to setProgrammingModel (@azure/functions' ProgrammingModel), if it did. */
  programmingModel(): unknown {
    return this.model;
  }

  /**
   * Runs the hooks registered under `hookName` in order, each with the same context object: the library's hook
   * contexts read and write through it (a preInvocation hook that replaces the handler or inputs writes there).
   */
  async runHooks(hookName: string, context: Record<string, unknown>): Promise<void> {
    context.hookData ??= {};
    context.appHookData ??= this.appHookData;
    for (const hook of [...(this.hooks.get(hookName) ?? [])]) await hook(context);
  }

  /**
   * Runs the `log` hooks, synchronously as the worker does for each log line of an invocation, each with the same
   * context (level, message, category, invocationContext): a hook may change the level or the message.
   */
  runLogHooks(context: Record<string, unknown>): void {
    context.hookData ??= {};
    context.appHookData ??= this.appHookData;
    for (const hook of [...(this.hooks.get("log") ?? [])]) void hook(context);
  }

  byTriggerType(type: string): ReadonlyArray<CapturedFunction> {
    return [...this.functions.values()].filter((f) => f.trigger.type.toLowerCase() === type.toLowerCase());
  }
}

const CORE_MODULE = "@azure/functions-core";
type Resolve = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleInternals = Module as unknown as { _resolveFilename: Resolve; _load: Load };

/**
 * Makes `require("@azure/functions-core")` return the shim's module for as long as the returned function is not
 * called. Must run before `@azure/functions` first asks for it (it caches the answer).
 */
export const installFunctionsCore = (shim: FunctionsCoreShim): (() => void) => {
  const coreModule = shim.module();
  const originalResolve = moduleInternals._resolveFilename;
  const originalLoad = moduleInternals._load;
  moduleInternals._resolveFilename = function (request, parent, isMain, options) {
    return request === CORE_MODULE
      ? CORE_MODULE
      : originalResolve.call(this, request, parent, isMain, options);
  };
  moduleInternals._load = function (request, parent, isMain) {
    return request === CORE_MODULE ? coreModule : originalLoad.call(this, request, parent, isMain);
  };
  return () => {
    moduleInternals._resolveFilename = originalResolve;
    moduleInternals._load = originalLoad;
  };
};
