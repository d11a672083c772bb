import * as http from "node:http";
import type { AddressInfo } from "node:net";

import type * as DurableFunctions from "durable-functions";

import { ActionType } from "../durable/actionPlan";
import { bindingInfo, invocationContext, readEpisodeResult, REPLAY_SCHEMA_V3 } from "../durable/bindingInfo";
import { attachDurableClient, clientBindingValue } from "../durable/clientBinding";
import { EventType, executionStarted, orchestratorStarted } from "../durable/historyEvents";
import { captureDurable } from "../durable/testHarness";
import type { CapturedFunction } from "../functionsCore";
import { invocationContextFor } from "../invocation";
import { pinMismatch } from "./pinnedVersion";

/**
 * durable-functions 3.5.0 contract: the durable backend (local-host/src/durable/) relies on these internals.
 *
 * - historyEvents.ts: the numbering of lib/src/history/HistoryEventType (EventType).
 * - actionPlan.ts: the numbering of lib/src/actions/ActionType and the fields of an emitted action
 *   (functionName, input, retryOptions with RetryOptions' field names, fireAt, isCanceled, compoundActions).
 * - bindingInfo.ts: lib/src/orchestrations/ReplaySchema (V3 = 2), the DurableOrchestrationBindingInfo fields the
 *   orchestrator trigger reads, the OrchestratorState it returns (isDone, actions as nested arrays, output,
 *   customStatus), the "$OutOfProcData$:" label of lib/src/error/OrchestrationFailureError, and that the library
 *   mutates the history it is given (Timestamp strings become Dates).
 * - activityRunner.ts: what wrapActivityHandler registers: called with (input, context), returns the result.
 * - clientBinding.ts, invocation.ts: getClient finds a durableClient/orchestrationClient binding in
 *   context.options.extraInputs, reads its value from context.extraInputs by binding name, accepts it when
 *   lib/src/durableClient/OrchestrationClientInputData says so, and sends every call to rpcBaseUrl.
 * The replay semantics (sequence ids, retries, timers) are in durableFunctions.replay.contract.test.ts.
 */
const lib = <T extends object>(path: string): T => jest.requireActual<T>(`durable-functions/lib/src/${path}`);
type Enum = Record<string, number | string>;

const shim = captureDurable((df) => {
  df.app.activity("double", { handler: (n: unknown) => Number(n) * 2 });
  df.app.activity("refuses", {
    handler: () => {
      throw new Error("refused by contract");
    },
  });
  df.app.orchestration("retrying", function* (context) {
    const options = new df.RetryOptions(100, 3);
    options.backoffCoefficient = 2;
    options.maxRetryIntervalInMilliseconds = 1000;
    return (yield context.df.callActivityWithRetry("double", options, context.df.getInput())) as number;
  });
  df.app.orchestration("failing", function* (context) {
    context.df.setCustomStatus("about to fail");
    yield* [];
    throw new Error("orchestrator said no");
  });
});
const captured = (name: string): CapturedFunction => {
  const fn = shim.functions.get(name);
  if (fn === undefined) throw new Error(`${name} was not captured`);
  return fn;
};
const firstEpisode = (name: string, input: string) => {
  const now = new Date();
  return bindingInfo({
    instanceId: `contract-${name}`,
    input,
    played: [],
    fresh: [orchestratorStarted(now), executionStarted(now, name, input)],
  });
};
const noLog = (): void => undefined;

describe("durable-functions 3.5.0 contract, the internals the durable backend relies on", () => {
  it("is installed at exactly the version local-host/package.json pins", () => {
    expect(pinMismatch("durable-functions")).toBeUndefined();
  });

  it("numbers history events, actions and replay schemas as the host does", () => {
    const { HistoryEventType } = lib<{ HistoryEventType: Enum }>("history/HistoryEventType");
    const actions = lib<{ ActionType: Enum }>("actions/ActionType").ActionType;
    const { ReplaySchema } = lib<{ ReplaySchema: Enum }>("orchestrations/ReplaySchema");
    for (const [name, value] of Object.entries(EventType))
      expect([name, HistoryEventType[name]]).toEqual([name, value]);
    for (const [name, value] of Object.entries(ActionType))
      expect([name, actions[name]]).toEqual([name, value]);
    expect(ReplaySchema.V3).toBe(REPLAY_SCHEMA_V3);
  });

  it("replays the host's binding info and answers with an OrchestratorState of nested action arrays", async () => {
    const fn = captured("retrying");
    const trigger = firstEpisode("retrying", "21");
    const state = (await fn.callback(trigger, invocationContext(fn, noLog))) as Record<string, unknown>;
    expect(state).toMatchObject({ isDone: false, schemaVersion: REPLAY_SCHEMA_V3 });
    expect(state.actions).toEqual([
      [
        expect.objectContaining({
          actionType: ActionType.CallActivityWithRetry,
          functionName: "double",
          input: 21,
          retryOptions: expect.objectContaining({
            firstRetryIntervalInMilliseconds: 100,
            maxNumberOfAttempts: 3,
            backoffCoefficient: 2,
            maxRetryIntervalInMilliseconds: 1000,
          }) as unknown,
        }),
      ],
    ]);
    expect(trigger.history[0]?.Timestamp).toBeInstanceOf(Date);
    const read = await readEpisodeResult(() => state);
    expect(read).toMatchObject({ kind: "Running", actions: [{ functionName: "double" }] });
  });

  it("fails a throwing orchestrator with an error whose $OutOfProcData$ state carries error and custom status", async () => {
    const fn = captured("failing");
    const run = () => fn.callback(firstEpisode("failing", "null"), invocationContext(fn, noLog));
    // The text before the label is not the error's message (3.5.0 puts "false" there); the state after it is.
    const thrown = await Promise.resolve(run()).then(
      () => "",
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    const state: unknown = JSON.parse(thrown.slice(thrown.indexOf("$OutOfProcData$:") + 16));
    expect(state).toMatchObject({ error: "orchestrator said no", customStatus: "about to fail" });
    expect(await readEpisodeResult(run)).toEqual({
      kind: "Failed",
      message: expect.stringContaining("orchestrator said no") as unknown,
      customStatus: "about to fail",
    });
  });

  it("registers activities as callbacks taking the input first and returning the handler's result", async () => {
    const double = captured("double");
    await expect(Promise.resolve(double.callback(21, invocationContext(double, noLog)))).resolves.toBe(42);
    const refuses = captured("refuses");
    await expect(Promise.resolve(refuses.callback(null, invocationContext(refuses, noLog)))).rejects.toThrow(
      "refused by contract",
    );
  });

  it("finds the host's client binding value by binding name and sends client calls to its rpcBaseUrl", async () => {
    const paths: string[] = [];
    const server = http.createServer((req, res) => {
      paths.push(`${req.method} ${req.url}`);
      res.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify({ id: "from-host" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const value = clientBindingValue(base, "ContractHub");
      const { OrchestrationClientInputData } = lib<{
        OrchestrationClientInputData: { isOrchestrationClientInputData(value: unknown): boolean };
      }>("durableClient/OrchestrationClientInputData");
      expect(OrchestrationClientInputData.isOrchestrationClientInputData(value)).toBe(true);
      const starter = captured("durableStarter");
      const context = invocationContextFor(starter, { log: noLog });
      attachDurableClient(starter, context, value);
      const df = jest.requireActual<typeof DurableFunctions>("durable-functions");
      const client = df.getClient(context);
      expect(client.taskHubName).toBe("ContractHub");
      await expect(client.startNew("retrying", { instanceId: "i1", input: 1 })).resolves.toBe("from-host");
      expect(paths).toEqual(["POST /runtime/webhooks/durabletask/orchestrators/retrying/i1"]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
