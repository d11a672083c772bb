import { appDeps } from "../../composition";
import { makeDeliverActivity } from "./dispatchActivities";
import { makeHealthRecorder } from "./healthRecorder";

/**
 * The deliver function over the app's dependencies: what the deliver activity runs, and the plan activity's and
 * the ingest's first rounds. `attemptTimeoutMs` shortens each attempt's deadline (the ingest's first round).
 */
export const appDeliver = (
  warn: (message: string) => void,
  attemptTimeoutMs?: number,
): ReturnType<typeof makeDeliverActivity> => {
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
    ...(attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs }),
  });
};
