import { app } from "@azure/functions";
import * as df from "durable-functions";

import { appDeps } from "../../composition";
import { purgeFinishedOrchestrations } from "./purge";

// Keeps the task hub from growing without bound: every Event Hub batch leaves a finished dispatch orchestration
// behind. Hourly, at minute 45, orchestrations that finished and were created more than
// ORCHESTRATION_HISTORY_RETENTION_DAYS ago are purged (0 turns this off). Failure policy: a failed purge is tried
// again the next hour; the history only grows meanwhile.
app.timer("orchestration-history-purge", {
  schedule: "0 45 * * * *",
  extraInputs: [df.input.durableClient()],
  handler: async (_timer, context) => {
    const deps = appDeps();
    const days = deps.config.ORCHESTRATION_HISTORY_RETENTION_DAYS;
    if (days === 0) return;
    const purged = await purgeFinishedOrchestrations(df.getClient(context), deps.clock.now(), days);
    context.log(`orchestration history purge: ${purged} finished orchestrations older than ${days} days`);
  },
});
