// Telemetry starts before anything else of the app loads (startup.ts).
import "../../adapters/telemetry/startup";

import * as df from "durable-functions";

import { appDeps } from "../../composition";
import { durableStarter } from "../dispatch/orchestrationStarter";
import { httpRoute } from "../http/httpRoute";
import { makeReplayReadActivity, makeReplayRecordActivity, type ReplayRecordInput } from "./replayActivities";
import {
  REPLAY_ORCHESTRATOR,
  REPLAY_READ_ACTIVITY,
  REPLAY_RECORD_ACTIVITY,
  replayOrchestrator,
} from "./replayOrchestrator";
import { makeReplaysApi } from "./replaysApi";

// Replays from the Event Hub for one webhook: the admin routes, the reader loop and its two activities.

const replaysApi = () => {
  const deps = appDeps();
  return makeReplaysApi({
    webhooks: deps.webhooks,
    replays: deps.replays,
    clock: deps.clock,
    newId: deps.newId,
    retentionDays: () => deps.config.EVENTHUB_RETENTION_DAYS,
    settings: () => deps.dispatchSettings,
  });
};

httpRoute(
  "webhooks-replays-start",
  {
    methods: ["POST"],
    route: "webhooks/{id}/replays",
    authLevel: "function",
    extraInputs: [df.input.durableClient()],
  },
  (request, context) => replaysApi().start(request, durableStarter(df.getClient(context))),
);
httpRoute(
  "webhooks-replays-list",
  { methods: ["GET"], route: "webhooks/{id}/replays", authLevel: "function" },
  (request) => replaysApi().list(request),
);
httpRoute(
  "webhooks-replays-get",
  { methods: ["GET"], route: "webhooks/{id}/replays/{replayId}", authLevel: "function" },
  (request) => replaysApi().get(request),
);
httpRoute(
  "webhooks-replays-cancel",
  { methods: ["DELETE"], route: "webhooks/{id}/replays/{replayId}", authLevel: "function" },
  (request) => replaysApi().cancel(request),
);

df.app.orchestration(REPLAY_ORCHESTRATOR, replayOrchestrator);

df.app.activity(REPLAY_READ_ACTIVITY, {
  handler: (input: { webhookId: string; replayId: string }) => {
    const deps = appDeps();
    return makeReplayReadActivity({
      replays: deps.replays,
      webhooks: deps.webhooks,
      hub: deps.hubReader(),
      clock: deps.clock,
    })(input);
  },
});

df.app.activity(REPLAY_RECORD_ACTIVITY, {
  handler: (input: ReplayRecordInput) => {
    const deps = appDeps();
    return makeReplayRecordActivity({ replays: deps.replays, clock: deps.clock })(input);
  },
});
