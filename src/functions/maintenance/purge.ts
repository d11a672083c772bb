import * as df from "durable-functions";

/** What the purge needs of the durable client (a fake of it is not needed: tests use the local host's). */
export type PurgingClient = Pick<df.DurableClient, "purgeInstanceHistoryBy">;

const DAY_MS = 86_400_000;

/**
 * Deletes the history and instance rows of every orchestration that finished (Completed, Failed, Terminated) and
 * was created more than `days` days before `now`. Unfinished ones are never touched, however old. Returns how
 * many instances were deleted. `days` must be at least the Event Hub's retention (config.ts checks it): the ingest
 * function names each orchestration after its batch (hub, partition, sequence range), so a batch redelivered after
 * its orchestration was purged would be dispatched again instead of starting nothing.
 */
export const purgeFinishedOrchestrations = async (
  client: PurgingClient,
  now: Date,
  days: number,
): Promise<number> => {
  const result = await client.purgeInstanceHistoryBy({
    createdTimeFrom: new Date(0),
    createdTimeTo: new Date(now.getTime() - days * DAY_MS),
    runtimeStatus: [
      df.OrchestrationRuntimeStatus.Completed,
      df.OrchestrationRuntimeStatus.Failed,
      df.OrchestrationRuntimeStatus.Terminated,
    ],
  });
  return result.instancesDeleted;
};
