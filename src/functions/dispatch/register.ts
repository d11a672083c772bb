// Telemetry starts before anything else of the app loads (startup.ts).
import "../../adapters/telemetry/startup";

import { type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";

import { tracedActivity, tracedOrchestrator } from "../../adapters/telemetry/durableTracing";
import { processTelemetry } from "../../adapters/telemetry/startup";
import { appDeps } from "../../composition";
import {
  type DeadLetterRequest,
  type DeliverInput,
  type PendingDelivery,
  type PlanInput,
} from "../../domain/dispatch";
import { makeDeadLetterActivity, makeDeliverActivity, makePlanActivity } from "./dispatchActivities";
import {
  DEAD_LETTER_ACTIVITY,
  DELIVER_ACTIVITY,
  DISPATCH_ORCHESTRATOR,
  dispatchOrchestrator,
  PLAN_ACTIVITY,
} from "./dispatchOrchestrator";
import { makeHealthRecorder } from "./healthRecorder";

// The dispatch orchestration and its activities (durable-functions), traced when telemetry is on
// (durableTracing.ts: the trace context travels in the orchestration input and the activities' inputs).

df.app.orchestration(DISPATCH_ORCHESTRATOR, tracedOrchestrator(dispatchOrchestrator, processTelemetry));

const deliverActivity = (warn: (message: string) => void): ReturnType<typeof makeDeliverActivity> => {
  const deps = appDeps();
  return makeDeliverActivity({
    webhooks: deps.webhooks,
    sender: deps.sender(),
    log: deps.deliveryLog,
    clock: deps.clock,
    warn,
    streams: deps.subjectStreams,
    telemetry: deps.telemetry,
    health: makeHealthRecorder({
      health: deps.webhookHealth,
      webhooks: deps.webhooks,
      autoDisableAfterMs: deps.config.AUTO_DISABLE_AFTER,
      warn,
    }),
  });
};

df.app.activity(PLAN_ACTIVITY, {
  handler: tracedActivity(
    PLAN_ACTIVITY,
    (input: PlanInput, context: InvocationContext) =>
      makePlanActivity({
        webhooks: appDeps().webhooks,
        deliver: deliverActivity((message) => context.warn(message)),
      })(input),
    processTelemetry,
  ),
});

df.app.activity(DELIVER_ACTIVITY, {
  handler: tracedActivity(
    DELIVER_ACTIVITY,
    (input: ReadonlyArray<PendingDelivery> | DeliverInput, context: InvocationContext) =>
      deliverActivity((message) => context.warn(message))(input),
    processTelemetry,
  ),
});

df.app.activity(DEAD_LETTER_ACTIVITY, {
  handler: tracedActivity(
    DEAD_LETTER_ACTIVITY,
    (requests: ReadonlyArray<DeadLetterRequest>) => {
      const deps = appDeps();
      return makeDeadLetterActivity({
        webhooks: deps.webhooks,
        deadLetters: deps.deadLetters,
        clock: deps.clock,
        streams: deps.subjectStreams,
        telemetry: deps.telemetry,
      })(requests);
    },
    processTelemetry,
  ),
});
