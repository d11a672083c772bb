import { type BatchPosition } from "./ingest";

type Metadata = Record<string, unknown> | undefined;

const arrayOf = (metadata: Metadata, key: string): ReadonlyArray<unknown> => {
  const value = metadata?.[key];
  return Array.isArray(value) ? value : [];
};

const stringOrUndefined = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : value instanceof Date ? value.toISOString() : undefined;

/**
 * The AMQP message-id of an event: the Event Hubs extension binds the event's system properties under their AMQP
 * names ("message-id"), which the library's camelCase conversion leaves as they are.
 */
const messageIdOf = (systemProperties: unknown): string | undefined => {
  if (typeof systemProperties !== "object" || systemProperties === null) return undefined;
  const id = (systemProperties as Record<string, unknown>)["message-id"];
  return typeof id === "string" && id !== "" ? id : typeof id === "number" ? String(id) : undefined;
};

/**
 * Reads a cardinality-"many" Event Hub trigger's metadata as @azure/functions hands it over (the host's keys
 * camel-cased): `partitionContext.partitionId` and the per-event `sequenceNumberArray`,
 * `enqueuedTimeUtcArray` and `systemPropertiesArray`. Throws if sequence numbers are missing: without them a
 * batch has no stable identity (a host contract violation, not bad data).
 */
export const batchPositionOf = (metadata: Metadata, defaultHub: string, count: number): BatchPosition => {
  const partitionContext = (metadata?.partitionContext ?? {}) as Record<string, unknown>;
  const rawPartition = partitionContext.partitionId;
  const partitionId =
    typeof rawPartition === "number" ? String(rawPartition) : (stringOrUndefined(rawPartition) ?? "");
  const hub = stringOrUndefined(partitionContext.eventHubName) ?? defaultHub;
  const sequenceNumbers = arrayOf(metadata, "sequenceNumberArray").map(Number);
  if (
    partitionId === "" ||
    sequenceNumbers.length !== count ||
    sequenceNumbers.some((n) => !Number.isFinite(n))
  ) {
    throw new Error(
      `Event Hub trigger metadata lacks partitionContext.partitionId or one sequence number per event (${count} events)`,
    );
  }
  const enqueued = arrayOf(metadata, "enqueuedTimeUtcArray");
  const system = arrayOf(metadata, "systemPropertiesArray");
  return {
    hub,
    partitionId,
    events: sequenceNumbers.map((sequenceNumber, i) => {
      const enqueuedTime = stringOrUndefined(enqueued[i]);
      const messageId = messageIdOf(system[i]);
      return {
        sequenceNumber,
        ...(enqueuedTime === undefined ? {} : { enqueuedTime }),
        ...(messageId === undefined ? {} : { messageId }),
      };
    }),
  };
};
