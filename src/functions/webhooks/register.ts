// Telemetry starts before anything else of the app loads (startup.ts).
import "../../adapters/telemetry/startup";

import { type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";

import { appDeps } from "../../composition";
import { deliveryRecordsDepsOf, makeDeliveryRecordsApi } from "../deliveryRecords/deliveryRecordsApi";
import { durableStarter } from "../dispatch/orchestrationStarter";
import { httpRoute } from "../http/httpRoute";
import { makeSubjectsApi, type OrchestrationSignaller } from "./subjectsApi";
import { makeWebhooksApi } from "./webhooksApi";

// Admin API: webhook CRUD and secret rotation (authLevel "function": the x-functions-key header or ?code=).

let api: ReturnType<typeof makeWebhooksApi> | undefined;
const webhooksApi = (): ReturnType<typeof makeWebhooksApi> =>
  (api ??= (() => {
    const deps = appDeps();
    return makeWebhooksApi({
      store: deps.webhooks,
      policy: () => deps.webhookPolicy,
      clock: deps.clock,
      newId: deps.newId,
      newSecret: deps.newSecret,
      rotationGraceMs: () => deps.config.SECRET_ROTATION_GRACE_SECONDS * 1000,
      health: deps.webhookHealth,
      autoDisableAfterMs: () => deps.config.AUTO_DISABLE_AFTER,
      streams: deps.subjectStreams,
    });
  })());

httpRoute("webhooks-create", { methods: ["POST"], route: "webhooks", authLevel: "function" }, (request) =>
  webhooksApi().create(request),
);
httpRoute("webhooks-list", { methods: ["GET"], route: "webhooks", authLevel: "function" }, (request) =>
  webhooksApi().list(request),
);
httpRoute("webhooks-get", { methods: ["GET"], route: "webhooks/{id}", authLevel: "function" }, (request) =>
  webhooksApi().get(request),
);
httpRoute(
  "webhooks-replace",
  { methods: ["PUT"], route: "webhooks/{id}", authLevel: "function" },
  (request) => webhooksApi().replace(request),
);
httpRoute(
  "webhooks-delete",
  { methods: ["DELETE"], route: "webhooks/{id}", authLevel: "function" },
  (request) => webhooksApi().remove(request),
);
httpRoute(
  "webhooks-rotate-secret",
  { methods: ["POST"], route: "webhooks/{id}/rotate-secret", authLevel: "function" },
  (request) => webhooksApi().rotateSecret(request),
);

httpRoute(
  "webhooks-health",
  { methods: ["GET"], route: "webhooks/{id}/health", authLevel: "function" },
  (request) => webhooksApi().health(request),
);

// Held subjects of per-subject webhooks, and the operator's skip and retry-now.
const signaller = (client: df.DurableClient): OrchestrationSignaller => ({
  async raise(instanceId, eventName, data) {
    try {
      await client.raiseEvent(instanceId, eventName, data);
      return true;
    } catch {
      // Failure policy: an instance that finished or does not exist cannot act; the caller says so (409).
      return false;
    }
  },
});
const subjectsApi = (context: InvocationContext) => {
  const deps = appDeps();
  const records = makeDeliveryRecordsApi(deliveryRecordsDepsOf(deps));
  return makeSubjectsApi({
    webhooks: deps.webhooks,
    streams: deps.subjectStreams,
    deadLetters: deps.deadLetters,
    replay: (deliveryId) => records.replayById(deliveryId, durableStarter(df.getClient(context))),
  });
};
const withClient = { authLevel: "function" as const, extraInputs: [df.input.durableClient()] };
httpRoute(
  "webhooks-subjects",
  { methods: ["GET"], route: "webhooks/{id}/subjects", authLevel: "function" },
  (request, context) => subjectsApi(context).list(request),
);
httpRoute(
  "webhooks-subjects-skip",
  { methods: ["POST"], route: "webhooks/{id}/subjects/{subjectId}/skip", ...withClient },
  (request, context) => subjectsApi(context).skip(request, signaller(df.getClient(context))),
);
httpRoute(
  "webhooks-subjects-retry-now",
  { methods: ["POST"], route: "webhooks/{id}/subjects/{subjectId}/retry-now", ...withClient },
  (request, context) => subjectsApi(context).retryNow(request, signaller(df.getClient(context))),
);
