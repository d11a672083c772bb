import { randomUUID } from "node:crypto";
import { format } from "node:util";

import { InvocationContext } from "@azure/functions";

import type { CapturedFunction } from "../functionsCore";
import type { LocalLog } from "../invocation";
import type { HistoryEvent } from "./historyEvents";
import { DEFAULT_HTTP_POLL_MS } from "./httpActivity";

/**
 * What the Durable Task extension hands an orchestrator (durable-functions' DurableOrchestrationBindingInfo) and
 * how its answer (OrchestratorState, or an OrchestrationFailureError carrying one) is read back.
 */

/** durable-functions' ReplaySchema enum: V1 = 0, V2 = 1, V3 = 2, V4 = 3. We claim V3: one flat action list
    with WhenAll/WhenAny kept as compound actions, and no entity locks (V4). */
export const REPLAY_SCHEMA_V3 = 2;

/** Timers up to this long stay one timer (V3 would split longer ones into LongTimerTask chunks). */
const MAXIMUM_SHORT_TIMER = "36500.00:00:00";
const LONG_TIMER_INTERVAL = "3.00:00:00";

export interface OrchestrationBindingInfo {
  readonly history: HistoryEvent[];
  readonly input: unknown;
  readonly instanceId: string;
  readonly isReplaying: boolean;
  readonly parentInstanceId?: string;
  readonly upperSchemaVersion: number;
  readonly maximumShortTimerDuration: string;
  readonly longRunningTimerIntervalDuration: string;
  readonly defaultHttpAsyncRequestSleepTimeMillseconds: number;
}

export const parseJson = (text: string | undefined): unknown =>
  text === undefined || text === "" ? undefined : JSON.parse(text);

/** Builds the trigger value for one episode. `played` events get IsPlayed=true; the library mutates what it
    gets (Timestamp strings become Dates), so every episode receives fresh copies. */
export const bindingInfo = (args: {
  instanceId: string;
  input: string | undefined;
  played: readonly HistoryEvent[];
  fresh: readonly HistoryEvent[];
  parentInstanceId?: string;
}): OrchestrationBindingInfo => ({
  history: [
    ...args.played.map((e) => ({ ...e, IsPlayed: true })),
    ...args.fresh.map((e) => ({ ...e, IsPlayed: false })),
  ],
  input: parseJson(args.input),
  instanceId: args.instanceId,
  isReplaying: args.played.length > 0,
  parentInstanceId: args.parentInstanceId,
  upperSchemaVersion: REPLAY_SCHEMA_V3,
  maximumShortTimerDuration: MAXIMUM_SHORT_TIMER,
  longRunningTimerIntervalDuration: LONG_TIMER_INTERVAL,
  defaultHttpAsyncRequestSleepTimeMillseconds: DEFAULT_HTTP_POLL_MS,
});

/**
 * The InvocationContext an orchestrator or activity gets. Every log level reaches the host's log, formatted with
 * util.format as the Node worker formats it. Nothing is dropped during replay: durable-functions only sets
 * `context.df.isReplaying`, and orchestrators guard their logs with it, as on Azure.
 */
export const invocationContext = (fn: CapturedFunction, log: LocalLog): InvocationContext =>
  new InvocationContext({
    functionName: fn.name,
    invocationId: randomUUID(),
    options: { trigger: { ...fn.trigger, type: fn.trigger.type } },
    logHandler: (level, ...args) => {
      if (level !== "none") log(level, fn.name, format(...args));
    },
  });

/** An action as the library emits it (lib/src/actions): actionType plus per-type fields. */
export interface ActionObject {
  readonly actionType: number;
  readonly functionName?: string;
  readonly input?: unknown;
  readonly retryOptions?: unknown;
  /** A Date, or its ISO text once the state has been through JSON (as the worker returns it). */
  readonly fireAt?: Date | string;
  isCanceled?: boolean;
  readonly instanceId?: string;
  readonly httpRequest?: unknown;
  /** callEntity / signalEntity. */
  readonly operation?: string;
  readonly compoundActions?: readonly ActionObject[];
}

export type EpisodeResult =
  | { readonly kind: "Running"; readonly actions: readonly ActionObject[]; readonly customStatus: unknown }
  | {
      readonly kind: "Done";
      readonly actions: readonly ActionObject[];
      readonly output: unknown;
      readonly customStatus: unknown;
    }
  | { readonly kind: "Failed"; readonly message: string; readonly customStatus: unknown };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

const flatActions = (actions: unknown): ActionObject[] =>
  Array.isArray(actions)
    ? actions.flatMap((a: unknown) =>
        Array.isArray(a) ? flatActions(a) : isRecord(a) ? [a as unknown as ActionObject] : [],
      )
    : [];

const OUT_OF_PROC_LABEL = "$OutOfProcData$:";

/** Reads the orchestrator callback's outcome: a returned OrchestratorState or a thrown failure. */
export const readEpisodeResult = async (run: () => unknown): Promise<EpisodeResult> => {
  let state: unknown;
  try {
    state = await run();
  } catch (error) {
    return failedResult(error);
  }
  if (!isRecord(state))
    return { kind: "Failed", message: "The orchestrator returned no state", customStatus: undefined };
  const actions = flatActions(state.actions);
  return state.isDone === true
    ? { kind: "Done", actions, output: state.output, customStatus: state.customStatus }
    : { kind: "Running", actions, customStatus: state.customStatus };
};

const failedResult = (error: unknown): EpisodeResult => {
  const text = error instanceof Error ? error.message : String(error);
  const at = text.indexOf(OUT_OF_PROC_LABEL);
  if (at < 0) return { kind: "Failed", message: text, customStatus: undefined };
  try {
    const state: unknown = JSON.parse(text.slice(at + OUT_OF_PROC_LABEL.length));
    if (isRecord(state)) {
      const message = typeof state.error === "string" ? state.error : text.slice(0, at).trim();
      return { kind: "Failed", message, customStatus: state.customStatus };
    }
  } catch {
    // Failure policy: an unreadable failure payload still fails the instance, with the raw message.
  }
  return { kind: "Failed", message: text.slice(0, at).trim(), customStatus: undefined };
};
