import { type DurableClient } from "durable-functions";

/** How handlers start orchestrations; a port over durable-functions' DurableClient, faked in unit tests. */
export interface OrchestrationStarter {
  /** Starts `name` as `instanceId` unless an instance with that id exists in any state. */
  readonly startIfAbsent: (name: string, instanceId: string, input: unknown) => Promise<"started" | "exists">;
}

const isNotFound = (error: unknown): boolean => error instanceof Error && /\b404\b/.test(error.message);

export const durableStarter = (client: DurableClient): OrchestrationStarter => ({
  async startIfAbsent(name, instanceId, input) {
    try {
      await client.getStatus(instanceId);
      // Failure policy: an instance with this id exists (a redelivered batch, a repeated request): start nothing
      // new. The Durable extension would otherwise restart a finished instance and deliver everything again.
      return "exists";
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    await client.startNew(name, { instanceId, input });
    return "started";
  },
});
