// Telemetry starts before anything else of the app loads (startup.ts).
import "../../adapters/telemetry/startup";

import { app } from "@azure/functions";
import * as df from "durable-functions";

import { appDeps } from "../../composition";
import { appDeliver } from "../dispatch/appDeliver";
import { makePlanActivity } from "../dispatch/dispatchActivities";
import { durableStarter } from "../dispatch/orchestrationStarter";
import { makeBatchContinuity } from "./continuity";
import { makeIngest } from "./ingest";
import { makeNumbering } from "./numbering";
import { batchPositionOf } from "./triggerMetadata";

/** This process's last batch per partition: one for the process, as the trigger's invocations are. */
let continuity: ReturnType<typeof makeBatchContinuity> | undefined;

// Event Hub trigger: decode each event, record the invalid ones, make the first attempts of a batch that fits one
// chunk (INGEST_FIRST_ROUND), and start a dispatch orchestration for what is left (or for the whole batch).
// Failure policy: a batch whose invocation fails (storage unreachable, say) is retried until it succeeds, the
// partition waiting meanwhile. Without a retry policy the Functions host logs the failure and checkpoints past
// the batch, which would lose its events.
app.eventHub("onIncomingEvents", {
  connection: "EVENTHUB_CONNECTION",
  eventHubName: "%EVENTHUB_NAME%",
  consumerGroup: "%EVENTHUB_CONSUMER_GROUP%",
  cardinality: "many",
  retry: {
    strategy: "exponentialBackoff",
    maxRetryCount: -1,
    minimumInterval: { seconds: 1 },
    maximumInterval: { seconds: 30 },
  },
  extraInputs: [df.input.durableClient()],
  handler: async (messages, context) => {
    const deps = appDeps();
    const bodies = Array.isArray(messages) ? messages : [messages];
    const position = batchPositionOf(context.triggerMetadata, deps.config.EVENTHUB_NAME, bodies.length);
    const ingest = makeIngest({
      rejected: deps.rejectedEvents,
      settings: () => deps.dispatchSettings,
      telemetry: deps.telemetry,
      number: makeNumbering({ webhooks: deps.webhooks, streams: deps.subjectStreams }),
      continuity: (continuity ??= makeBatchContinuity(deps.config.INGEST_FOLLOW_WINDOW_MS)),
      ...(deps.config.INGEST_FIRST_ROUND
        ? {
            firstRoundUpTo: deps.config.INGEST_FIRST_ROUND_MAX,
            firstRound: makePlanActivity({
              webhooks: deps.webhooks,
              deliver: appDeliver(
                (message) => context.warn(message),
                Math.min(deps.config.INGEST_ATTEMPT_TIMEOUT_MS, deps.config.DELIVERY_TIMEOUT_MS),
              ),
            }),
          }
        : {}),
    });
    const result = await deps.telemetry.ingestBatch(
      { hub: position.hub, partitionId: position.partitionId, events: bodies.length },
      () => ingest(bodies, position, durableStarter(df.getClient(context))),
    );
    // Counts and positions only: event payloads hold personal data.
    context.log(
      `partition ${position.partitionId}: ${result.accepted} accepted, ${result.rejected} rejected` +
        (result.instanceId === undefined
          ? ""
          : `, ${result.instanceId} ${result.started ? "started" : result.settled === undefined ? "already exists" : `not needed (${result.settled} settled)`}`),
    );
  },
});
