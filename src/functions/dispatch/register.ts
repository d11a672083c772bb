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
import { appDeliver } from "./appDeliver";
import { makeDeadLetterActivity, makePlanActivity } from "./dispatchActivities";
import {
  DEAD_LETTER_ACTIVITY,
  DELIVER_ACTIVITY,
  DISPATCH_ORCHESTRATOR,
  dispatchOrchestrator,
  PLAN_ACTIVITY,
} from "./dispatchOrchestrator";

// The dispatch orchestration and its activities (durable-functions), traced when telemetry is on
// (durableTracing.ts: the trace context travels in the orchestration input and the activities' inputs).

df.app.orchestration(DISPATCH_ORCHESTRATOR, tracedOrchestrator(dispatchOrchestrator, processTelemetry));

df.app.activity(PLAN_ACTIVITY, {
  handler: tracedActivity(
    PLAN_ACTIVITY,
    (input: PlanInput, context: InvocationContext) =>
      makePlanActivity({
        webhooks: appDeps().webhooks,
        deliver: appDeliver((message) => context.warn(message)),
      })(input),
    processTelemetry,
  ),
});

df.app.activity(DELIVER_ACTIVITY, {
  handler: tracedActivity(
    DELIVER_ACTIVITY,
    (input: ReadonlyArray<PendingDelivery> | DeliverInput, context: InvocationContext) =>
      appDeliver((message) => context.warn(message))(input),
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
