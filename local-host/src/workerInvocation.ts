import { randomBytes, randomUUID } from "node:crypto";
import { inspect } from "node:util";

import type { InvocationContext, LogLevel } from "@azure/functions";

import type { CapturedFunction, FunctionsCoreShim } from "./functionsCore";
import type { LocalLog } from "./invocation";
import { runInvocation } from "./invocationScope";

/**
 * Invokes a captured function the way the Azure Functions Node worker does: host data goes in as RPC typed data
 * through the app's own `@azure/functions` programming model (the one it handed to `setProgrammingModel`), whose
 * InvocationModel builds the handler's arguments with the library's converters (HttpRequest, trigger metadata in
 * camelCase, retry context, extra inputs), runs the pre- and postInvocation hooks around the handler, and turns
 * the return value and extra outputs back into RPC data. So a handler sees exactly what it sees in Azure.
 */

/** The subset of the worker protocol's TypedData the host produces and reads. */
export interface RpcTypedData {
  readonly string?: string;
  readonly json?: string;
  readonly bytes?: Uint8Array;
  readonly int?: number;
  readonly double?: number;
  readonly http?: RpcHttpData;
  readonly collectionString?: { readonly string: ReadonlyArray<string> };
  readonly collectionBytes?: { readonly bytes: ReadonlyArray<Uint8Array> };
}

export interface RpcNullable<T> {
  readonly value?: T;
}

/** A response cookie as the library's toRpcHttpCookie writes it. */
export interface RpcHttpCookie {
  readonly name?: string;
  readonly value?: string;
  readonly domain?: RpcNullable<string> | null;
  readonly path?: RpcNullable<string> | null;
  readonly expires?: RpcNullable<{ readonly seconds?: number | string; readonly nanos?: number }> | null;
  readonly secure?: RpcNullable<boolean> | null;
  readonly httpOnly?: RpcNullable<boolean> | null;
  readonly sameSite?: "none" | "lax" | "strict" | "explicitNone" | null;
  readonly maxAge?: RpcNullable<number> | null;
}

type StringMap = Readonly<Record<string, string>>;
type NullableStringMap = Readonly<Record<string, RpcNullable<string>>>;

/**
 * RPC http data. The host sends requests with the nullable maps (the Node worker declares
 * UseNullableValueDictionaryForHttp); the library writes responses with `headers` and `cookies`.
 */
export interface RpcHttpData {
  readonly method?: string;
  readonly url?: string;
  readonly headers?: StringMap;
  readonly nullableHeaders?: NullableStringMap;
  readonly query?: StringMap;
  readonly nullableQuery?: NullableStringMap;
  readonly params?: StringMap;
  readonly nullableParams?: NullableStringMap;
  readonly body?: RpcTypedData;
  readonly statusCode?: string;
  readonly cookies?: ReadonlyArray<RpcHttpCookie>;
}

export interface RpcRetryContext {
  readonly retryCount: number;
  readonly maxRetryCount: number;
  readonly exception?: { readonly message?: string; readonly source?: string; readonly stackTrace?: string };
}

export interface WorkerInvocation {
  /** The trigger's value as the host sends it. */
  readonly trigger: RpcTypedData;
  /** Trigger metadata as the host sends it (PascalCase keys, as the Functions host does). */
  readonly triggerMetadata?: Readonly<Record<string, RpcTypedData>>;
  /** Values for the function's extra input bindings, by binding name. */
  readonly extraInputs?: Readonly<Record<string, RpcTypedData>>;
  readonly retryContext?: RpcRetryContext;
  /** host.json functionTimeout (not sent to the worker): the invocation fails once it runs longer. */
  readonly timeoutMs?: number;
  /** The W3C traceparent of the caller (an HTTP request's `traceparent`), when there is a valid one. */
  readonly traceParent?: string;
}

/** W3C trace context (https://www.w3.org/TR/trace-context/): version 00, trace id, parent id, flags. */
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The invocation's trace context, as the Functions host sends it (RpcTraceContext): the host starts an activity
 * per invocation, a child of the caller's trace context when there is one, else the root of a new trace, and
 * hands its traceparent to the worker (context.traceContext.traceParent). The local host exports no span of its
 * own, so the id it makes up here is the parent of the app's spans and appears in no exported span.
 */
export const invocationTraceParent = (callerTraceParent?: string): string => {
  const caller = callerTraceParent?.trim().toLowerCase();
  const traceId =
    caller !== undefined && TRACEPARENT.test(caller) ? caller.slice(3, 35) : randomBytes(16).toString("hex");
  const flags = caller !== undefined && TRACEPARENT.test(caller) ? caller.slice(53, 55) : "01";
  return `00-${traceId}-${randomBytes(8).toString("hex")}-${flags}`;
};

export interface WorkerInvocationResult {
  /** The handler's return value, converted for its $return binding (HTTP: `{ http: ... }`), if any. */
  readonly returnValue?: RpcTypedData | null;
  readonly outputData: ReadonlyArray<{ readonly name: string; readonly data: RpcTypedData }>;
}

interface InvocationModel {
  getArguments(): Promise<{ context: InvocationContext; inputs: unknown[] }>;
  invokeFunction(context: InvocationContext, inputs: unknown[], handler: unknown): Promise<unknown>;
  getResponse(context: InvocationContext, result: unknown): Promise<WorkerInvocationResult>;
}

interface ProgrammingModel {
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel;
}

/** What the worker hands the programming model for one invocation (its CoreInvocationContext). */
interface CoreInvocationContext {
  readonly invocationId: string;
  readonly request: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  state?: "preInvocationHooks" | "invocation" | "postInvocationHooks";
  log(level: LogLevel, category: string, message: string): void;
}

const programmingModelOf = (shim: FunctionsCoreShim, fn: CapturedFunction): ProgrammingModel => {
  const model = shim.programmingModel() as Partial<ProgrammingModel> | undefined;
  if (typeof model?.getInvocationModel !== "function")
    throw new Error(
      `Function "${fn.name}" cannot be invoked: the app set no programming model (does it register through @azure/functions v4?)`,
    );
  return model as ProgrammingModel;
};

/**
 * The user's log lines, as the worker sends them to the host: the app's `log` hooks first (with the invocation's
 * context once there is one; they may change level and message), then level, category (user/system) and text.
 */
const logSink =
  (
    shim: FunctionsCoreShim,
    fn: CapturedFunction,
    log: LocalLog,
    invocation: { context?: InvocationContext },
  ) =>
  (level: LogLevel, category: string, message: string): void => {
    const hook: Record<string, unknown> = { level, message, category, invocationContext: invocation.context };
    shim.runLogHooks(hook);
    const finalLevel = (hook.level as LogLevel | undefined) ?? level;
    const finalMessage = typeof hook.message === "string" ? hook.message : message;
    log(finalLevel, category === "system" ? `${fn.name} (system)` : fn.name, finalMessage);
  };

/**
 * One invocation of `fn` through the app's programming model, hooks included, in the function's invocation scope
 * (invocationScope.ts) and failed once it outlives `invocation.timeoutMs`.
 */
export const invokeAsWorker = (
  shim: FunctionsCoreShim,
  fn: CapturedFunction,
  invocation: WorkerInvocation,
  log: LocalLog,
): Promise<WorkerInvocationResult> =>
  runInvocation(fn.name, invocation.timeoutMs, () => invokeThroughModel(shim, fn, invocation, log));

const invokeThroughModel = async (
  shim: FunctionsCoreShim,
  fn: CapturedFunction,
  invocation: WorkerInvocation,
  log: LocalLog,
): Promise<WorkerInvocationResult> => {
  const invocationId = randomUUID();
  const current: { context?: InvocationContext } = {};
  const inputData = [
    { name: fn.trigger.name, data: invocation.trigger },
    ...Object.entries(invocation.extraInputs ?? {}).map(([name, data]) => ({ name, data })),
  ];
  const coreContext: CoreInvocationContext = {
    invocationId,
    request: {
      invocationId,
      functionId: fn.metadata.functionId ?? fn.name,
      inputData,
      triggerMetadata: invocation.triggerMetadata ?? {},
      traceContext: {
        traceParent: invocationTraceParent(invocation.traceParent),
        traceState: "",
        attributes: {},
      },
      ...(invocation.retryContext === undefined ? {} : { retryContext: invocation.retryContext }),
    },
    metadata: { ...fn.metadata, name: fn.name },
    log: logSink(shim, fn, log, current),
  };
  const model = programmingModelOf(shim, fn).getInvocationModel(coreContext);
  const { context, inputs } = await model.getArguments();
  current.context = context;

  // preInvocation hooks may replace the handler and the inputs (the worker's contract).
  coreContext.state = "preInvocationHooks";
  const hookData: Record<string, unknown> = {};
  const pre = {
    invocationContext: context,
    functionCallback: fn.callback,
    inputs,
    hookData,
    appHookData: shim.appHookData,
  };
  await shim.runHooks("preInvocation", pre);

  coreContext.state = "invocation";
  let result: unknown;
  let error: unknown;
  try {
    result = await model.invokeFunction(context, pre.inputs, pre.functionCallback);
  } catch (thrown) {
    error = thrown;
  }

  // postInvocation hooks see the result or the error and may replace either.
  coreContext.state = "postInvocationHooks";
  const post = {
    invocationContext: context,
    inputs: pre.inputs,
    result,
    error,
    hookData,
    appHookData: shim.appHookData,
  };
  await shim.runHooks("postInvocation", post);
  if (post.error !== undefined && post.error !== null)
    throw post.error instanceof Error ? post.error : new Error(inspect(post.error));
  return model.getResponse(context, post.result);
};

/** The value RPC typed data carries (the library's fromRpcTypedData, for what the host reads back). */
export const typedDataValue = (data: RpcTypedData | null | undefined): unknown => {
  if (data === undefined || data === null) return undefined;
  if (data.json !== undefined) return JSON.parse(data.json);
  if (data.string !== undefined) {
    try {
      return JSON.parse(data.string);
    } catch {
      return data.string;
    }
  }
  if (data.int !== undefined) return Number(data.int);
  if (data.double !== undefined) return data.double;
  if (data.bytes !== undefined) return Buffer.from(data.bytes).toString("base64");
  return undefined;
};

/**
 * A function's return value as JSON text, as the Durable extension records an activity's result: a string stays
 * that string (not parsed), bytes become base64, nothing becomes null.
 */
export const returnValueJson = (data: RpcTypedData | null | undefined): string => {
  if (data === undefined || data === null) return "null";
  if (data.json !== undefined) return data.json;
  if (data.string !== undefined) return JSON.stringify(data.string);
  return JSON.stringify(typedDataValue(data)) ?? "null";
};

/** JSON as RPC typed data (what the host sends for objects, and the durable client binding). */
export const jsonData = (value: unknown): RpcTypedData => ({ json: JSON.stringify(value) });
