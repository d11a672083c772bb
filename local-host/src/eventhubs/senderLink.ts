import type { Delivery, Message } from "rhea";
import { message as rheaMessage } from "rhea";

import { AmqpCodecError, batchEvents, partitionKeyOf } from "./amqpCodec";
import { partitionForKey } from "./hashing";
import type { AmqpFailure, Hub } from "./hubStore";

/** The largest message (batch envelope) a producer may send, as on the Standard tier. */
export const MAX_MESSAGE_SIZE = 1024 * 1024;
/** Message format of an Event Hubs batch: the events travel as data sections of one envelope. */
export const BATCH_FORMAT = 0x80013700;

/** Where a producer's link sends: a hub (partition chosen per batch) or one partition. */
export interface PublishTarget {
  readonly hub: Hub;
  readonly partition: number | undefined;
}

/** Chooses partitions for batches that carry no key: round-robin per hub. */
export class RoundRobin {
  private readonly next = new Map<string, number>();

  pick(hub: Hub): number {
    const n = this.next.get(hub.name) ?? 0;
    this.next.set(hub.name, (n + 1) % hub.partitions.length);
    return n;
  }
}

/** The bytes of a transfer: rhea hands non-zero formats over raw and decodes format 0, so re-encode those. */
export const transferBytes = (body: Buffer | Message): Buffer =>
  Buffer.isBuffer(body) ? body : rheaMessage.encode(body);

/** Stores one transfer's events on the partition its target, key or the round-robin picks. */
export const publish = (
  target: PublishTarget,
  payload: Buffer,
  format: number,
  roundRobin: RoundRobin,
  nowMs: number,
): void => {
  const events = format === BATCH_FORMAT ? batchEvents(payload) : [payload];
  if (events.length === 0) return;
  const key = partitionKeyOf(payload);
  const { hub } = target;
  const partition =
    target.partition ??
    (key === undefined ? roundRobin.pick(hub) : partitionForKey(key, hub.partitions.length));
  const log = hub.partitions[partition];
  if (log === undefined) throw new Error(`partition ${partition} is out of range`);
  log.append(events, key, nowMs);
};

const failureOf = (error: unknown): AmqpFailure =>
  error instanceof AmqpCodecError
    ? { condition: "amqp:decode-error", description: `malformed event batch: ${error.message}` }
    : {
        condition: "amqp:internal-error",
        description: error instanceof Error ? error.message : String(error),
      };

/**
 * Settles a producer's transfer: accepted once stored, rejected when too large or malformed. Failure policy:
 * a rejected transfer stores none of its events; the producer sees the error and decides whether to resend.
 */
export const settlePublish = (
  delivery: Delivery,
  body: Buffer | Message,
  target: PublishTarget,
  roundRobin: RoundRobin,
  nowMs: number,
): void => {
  const format = (delivery as unknown as { format?: number }).format ?? 0;
  try {
    const payload = transferBytes(body);
    if (payload.length > MAX_MESSAGE_SIZE) {
      delivery.reject({
        condition: "amqp:link:message-size-exceeded",
        description: `The received message (size ${payload.length} bytes) exceeds the limit (${MAX_MESSAGE_SIZE} bytes) currently allowed on the link.`,
      });
      return;
    }
    publish(target, payload, format, roundRobin, nowMs);
    delivery.accept();
  } catch (error) {
    delivery.reject(failureOf(error));
  }
};
