import * as df from "durable-functions";

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

// The dispatch orchestration and its activities (durable-functions).

df.app.orchestration(DISPATCH_ORCHESTRATOR, dispatchOrchestrator);

const deliverActivity = (warn: (message: string) => void): ReturnType<typeof makeDeliverActivity> => {
  const deps = appDeps();
  return makeDeliverActivity({
    webhooks: deps.webhooks,
    sender: deps.sender(),
    log: deps.deliveryLog,
    clock: deps.clock,
    warn,
    streams: deps.subjectStreams,
    health: makeHealthRecorder({
      health: deps.webhookHealth,
      webhooks: deps.webhooks,
      autoDisableAfterMs: deps.config.AUTO_DISABLE_AFTER,
      warn,
    }),
  });
};

df.app.activity(PLAN_ACTIVITY, {
  handler: (input: PlanInput, context) =>
    makePlanActivity({
      webhooks: appDeps().webhooks,
      deliver: deliverActivity((message) => context.warn(message)),
    })(input),
});

df.app.activity(DELIVER_ACTIVITY, {
  handler: (input: ReadonlyArray<PendingDelivery> | DeliverInput, context) =>
    deliverActivity((message) => context.warn(message))(input),
});

df.app.activity(DEAD_LETTER_ACTIVITY, {
  handler: (requests: ReadonlyArray<DeadLetterRequest>) => {
    const deps = appDeps();
    return makeDeadLetterActivity({
      webhooks: deps.webhooks,
      deadLetters: deps.deadLetters,
      clock: deps.clock,
      streams: deps.subjectStreams,
    })(requests);
  },
});
