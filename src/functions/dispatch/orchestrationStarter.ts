import { type DurableClient } from "durable-functions";

/** How handlers start orchestrations; a port over durable-functions' DurableClient, faked in unit tests. */
export interface OrchestrationStarter {
  /** Starts `name` as `instanceId` unless an instance with that id exists in any state. */
  readonly startIfAbsent: (name: string, instanceId: string, input: unknown) => Promise<"started" | "exists">;
  /**
   * Starts `name` as `instanceId` without looking first: only for an id no instance can have (the ingest's
   * batch that follows the one it just ingested, see ingest/continuity.ts). An existing instance would be
   * started again.
   */
  readonly startNew?: (name: string, instanceId: string, input: unknown) => Promise<void>;
  /** Whether an instance with this id exists, in any state. */
  readonly exists?: (instanceId: string) => Promise<boolean>;
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
  async startNew(name, instanceId, input) {
    await client.startNew(name, { instanceId, input });
  },
  async exists(instanceId) {
    try {
      await client.getStatus(instanceId);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  },
});

/** An orchestration's status as the app reads it (a part of durable-functions' DurableOrchestrationStatus). */
export interface InstanceStatus {
  readonly runtimeStatus: string;
  readonly input: unknown;
  readonly customStatus: unknown;
  readonly output: unknown;
  readonly lastUpdatedTime: string;
}

/** How handlers read an orchestration's status; undefined when there is no instance with that id. */
export interface OrchestrationStatusReader {
  readonly status: (instanceId: string) => Promise<InstanceStatus | undefined>;
}

export const durableStatusReader = (client: DurableClient): OrchestrationStatusReader => ({
  async status(instanceId) {
    try {
      const s = await client.getStatus(instanceId);
      return {
        runtimeStatus: String(s.runtimeStatus),
        input: s.input,
        customStatus: s.customStatus,
        output: s.output,
        lastUpdatedTime: new Date(s.lastUpdatedTime).toISOString(),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  },
});
