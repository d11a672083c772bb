import * as df from "durable-functions";

import { appDeps } from "../composition";
import { type DeadLetterRequest, type PendingDelivery } from "../domain/dispatch";
import { type IncomingEvent } from "../domain/events";
import { makeDeadLetterActivity, makeDeliverActivity, makePlanActivity } from "./handlers/dispatchActivities";
import {
  DEAD_LETTER_ACTIVITY,
  DELIVER_ACTIVITY,
  DISPATCH_ORCHESTRATOR,
  dispatchOrchestrator,
  PLAN_ACTIVITY,
} from "./handlers/dispatchOrchestrator";

// The dispatch orchestration and its activities (durable-functions).

df.app.orchestration(DISPATCH_ORCHESTRATOR, dispatchOrchestrator);

df.app.activity(PLAN_ACTIVITY, {
  handler: (input: { events: ReadonlyArray<{ eventId: string; event: IncomingEvent }> }) =>
    makePlanActivity({ webhooks: appDeps().webhooks })(input),
});

df.app.activity(DELIVER_ACTIVITY, {
  handler: (chunk: ReadonlyArray<PendingDelivery>, context) => {
    const deps = appDeps();
    return makeDeliverActivity({
      webhooks: deps.webhooks,
      sender: deps.sender(),
      log: deps.deliveryLog,
      clock: deps.clock,
      warn: (message) => context.warn(message),
    })(chunk);
  },
});

df.app.activity(DEAD_LETTER_ACTIVITY, {
  handler: (requests: ReadonlyArray<DeadLetterRequest>) => {
    const deps = appDeps();
    return makeDeadLetterActivity({
      webhooks: deps.webhooks,
      deadLetters: deps.deadLetters,
      clock: deps.clock,
    })(requests);
  },
});
