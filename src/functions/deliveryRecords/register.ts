// Telemetry starts before anything else of the app loads (startup.ts).
import "../../adapters/telemetry/startup";

import { app } from "@azure/functions";
import * as df from "durable-functions";
import * as E from "fp-ts/Either";

import { appDeps } from "../../composition";
import { durableStarter, durableStatusReader } from "../dispatch/orchestrationStarter";
import { httpRoute } from "../http/httpRoute";
import { deliveryRecordsDepsOf, makeDeliveryRecordsApi } from "./deliveryRecordsApi";
import { PageRequest, RECOVER_PAGE_ACTIVITY, RECOVERY_ORCHESTRATOR } from "./recovery";
import { makeRecoverPageActivity } from "./recoveryActivity";
import { makeRecoveryApi } from "./recoveryApi";
import { recoveryOrchestrator } from "./recoveryOrchestrator";
import { makeRejectedEventsApi } from "./rejectedEventsApi";

// Admin API over delivery records: the delivery log, dead letters (list, replay, delete) and ping.

let api: ReturnType<typeof makeDeliveryRecordsApi> | undefined;
const recordsApi = (): ReturnType<typeof makeDeliveryRecordsApi> => {
  return (api ??= makeDeliveryRecordsApi(deliveryRecordsDepsOf(appDeps())));
};
/** Routes that start deliveries get the durable client; the others only read or delete records. */
const starting = { authLevel: "function" as const, extraInputs: [df.input.durableClient()] };
const keyed = { authLevel: "function" as const };

httpRoute("dead-letters-list", { methods: ["GET"], route: "dead-letters", ...keyed }, (request) =>
  recordsApi().listDeadLetters(request),
);
httpRoute(
  "dead-letters-replay",
  { methods: ["POST"], route: "dead-letters/{id}/replay", ...starting },
  (request, context) => recordsApi().replayDeadLetter(request, durableStarter(df.getClient(context))),
);
httpRoute("dead-letters-delete", { methods: ["DELETE"], route: "dead-letters/{id}", ...keyed }, (request) =>
  recordsApi().deleteDeadLetter(request),
);
httpRoute(
  "webhooks-deliveries",
  { methods: ["GET"], route: "webhooks/{id}/deliveries", ...keyed },
  (request) => recordsApi().listDeliveries(request),
);
httpRoute(
  "webhooks-ping",
  { methods: ["POST"], route: "webhooks/{id}/ping", ...starting },
  (request, context) => recordsApi().ping(request, durableStarter(df.getClient(context))),
);

// Recovery: a webhook's dead letters since a time, sent again in the background (recovery.ts).
const recoveryApi = () => {
  const deps = appDeps();
  return makeRecoveryApi({
    webhooks: deps.webhooks,
    deadLetters: deps.deadLetters,
    clock: deps.clock,
    newId: deps.newId,
  });
};
httpRoute(
  "webhooks-recover",
  { methods: ["POST"], route: "webhooks/{id}/recover", ...starting },
  (request, context) => recoveryApi().start(request, durableStarter(df.getClient(context))),
);
httpRoute(
  "webhooks-recoveries-get",
  { methods: ["GET"], route: "webhooks/{id}/recoveries/{recoveryId}", ...starting },
  (request, context) => recoveryApi().get(request, durableStatusReader(df.getClient(context))),
);
df.app.orchestration(RECOVERY_ORCHESTRATOR, recoveryOrchestrator);
// The page activity starts the replays itself (as the replay route does), so it gets the durable client too.
df.app.activity(RECOVER_PAGE_ACTIVITY, {
  extraInputs: [df.input.durableClient()],
  handler: (input: unknown, context) => {
    const request = PageRequest.decode(input);
    if (E.isLeft(request)) throw new TypeError("PageRequest does not decode");
    const deps = appDeps();
    return makeRecoverPageActivity({
      webhooks: deps.webhooks,
      deadLetters: deps.deadLetters,
      settings: () => deps.dispatchSettings,
      pageSize: 100,
      concurrency: 8,
    })(request.right, durableStarter(df.getClient(context)));
  },
});

// Failure policy: attempts older than DELIVERY_LOG_RETENTION_DAYS are deleted once a day; a failed purge is
// simply tried again the next day (the log only grows meanwhile).
app.timer("delivery-log-retention", {
  schedule: "0 30 3 * * *",
  handler: async (_timer, context) => {
    const deps = appDeps();
    const cutoff = new Date(
      deps.clock.now().getTime() - deps.config.DELIVERY_LOG_RETENTION_DAYS * 86_400_000,
    );
    context.log(`delivery log retention: purged ${await deps.deliveryLog.purge(cutoff)} attempts`);
  },
});

httpRoute(
  "rejected-events-list",
  { methods: ["GET"], route: "rejected-events", authLevel: "function" },
  (request) => makeRejectedEventsApi({ rejected: appDeps().rejectedEvents }).list(request),
);
