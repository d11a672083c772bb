import type { Sender } from "rhea";

import { withRuntimeInfo } from "./amqpCodec";
import type { AmqpFailure } from "./hubStore";
import type { PartitionLog } from "./partitionLog";

export const EPOCH_PROPERTY = "com.microsoft:epoch";
export const RUNTIME_METRIC_CAPABILITY = "com.microsoft:enable-receiver-runtime-metric";

/** Whether the receiver asked for the partition's last-enqueued info on every event. */
export const wantsRuntimeInfo = (desiredCapabilities: unknown): boolean =>
  desiredCapabilities === RUNTIME_METRIC_CAPABILITY ||
  (Array.isArray(desiredCapabilities) && desiredCapabilities.includes(RUNTIME_METRIC_CAPABILITY));

/** How a receiver attaches: its owner level, whether it wants runtime info, where it starts. */
export interface ReceiverOptions {
  readonly epoch: number | undefined;
  readonly runtimeInfo: boolean;
  readonly start: number;
}

/** The owner level a receiver asked for, if any (rhea decodes the SDK's long to a number). */
export const epochOf = (properties: unknown): number | undefined => {
  if (typeof properties !== "object" || properties === null) return undefined;
  const value: unknown = (properties as Record<string, unknown>)[EPOCH_PROPERTY];
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "object" && value !== null && "value" in value && typeof value.value === "number")
    return value.value;
  return undefined;
};

/** Events a receiver may be sent past what it had been sent when its latest credit grant arrived, at least. */
export const SEND_AHEAD = 500;

/**
 * Streams one partition's events to one receiver link, never past the link credit the client granted, and never
 * more than the latest grant (or SEND_AHEAD, if larger) past what had been sent when that grant arrived. AMQP lets a
 * sender use less credit than it holds; this keeps a consumer's buffer bounded when it piles up credit: the
 * @azure/event-hubs 6.0.4 consumer adds prefetch-count credit on every empty poll (Azure/azure-sdk-for-js#39452),
 * so after a minute idle it held about 20,000 credits per partition and took a whole backlog into memory at once.
 */
class PartitionPump {
  private sent = 0;
  /** The absolute limit of the latest grant seen (delivery count + credit) and how far this pump sends. */
  private granted = 0;
  private windowEnd = 0;
  /** False until rhea has written the attach reply: a transfer before it would name an unknown handle. */
  private attached = false;
  private readonly unsubscribe: () => void;

  private next: number;
  readonly epoch: number | undefined;

  constructor(
    readonly sender: Sender,
    private readonly options: ReceiverOptions,
    private readonly log: PartitionLog,
    private readonly clock: () => number,
  ) {
    this.next = options.start;
    this.epoch = options.epoch;
    this.unsubscribe = log.onAppend(() => this.pump());
    // rhea writes the attach on the next tick; setImmediate runs after it.
    setImmediate(() => {
      this.attached = true;
      this.pump();
    });
  }

  /**
   * Sends while credit lasts. rhea counts credit down only when it writes a transfer, so transfers queued in
   * this tick are subtracted from the credit it reports.
   */
  pump(): void {
    const sender = this.sender;
    if (!this.attached || !sender.is_open()) return;
    const counters = sender as unknown as { credit: number; delivery_count: number };
    // delivery count + credit moves only when a flow frame arrives (a transfer moves one unit from one to the other).
    const granted = counters.delivery_count + counters.credit;
    if (granted !== this.granted) {
      this.windowEnd = this.sent + Math.max(SEND_AHEAD, granted - this.granted);
      this.granted = granted;
    }
    let budget = Math.min(
      counters.credit - (this.sent - counters.delivery_count),
      this.windowEnd - this.sent,
    );
    while (budget > 0 && this.next < this.log.length && sender.sendable()) {
      const event = this.log.at(this.next);
      if (event === undefined) break;
      sender.send(this.options.runtimeInfo ? this.withInfo(event.delivered) : event.delivered, undefined, 0);
      this.next += 1;
      this.sent += 1;
      budget -= 1;
    }
  }

  private withInfo(delivered: Buffer): Buffer {
    const p = this.log.properties();
    return withRuntimeInfo(delivered, {
      lastSequenceNumber: p.lastSequenceNumber,
      lastOffset: p.lastOffset,
      lastEnqueuedTimeMs: p.lastEnqueuedTimeMs,
      retrievedAtMs: this.clock(),
    });
  }

  stop(): void {
    this.unsubscribe();
  }
}

const stolen = (epoch: number | undefined, by: number | undefined): AmqpFailure => ({
  condition: "amqp:link:stolen",
  description:
    by === undefined
      ? `Receiver disconnected: a receiver with epoch ${String(epoch)} owns this partition`
      : `New receiver with higher epoch of '${by}' is created hence current receiver with epoch '${String(epoch)}' is getting disconnected.`,
});

/**
 * The receivers attached to each (hub, consumer group, partition), with Event Hubs' epoch rules: a receiver
 * with an epoch takes the partition from receivers with a lower or equal epoch and from those without one;
 * a receiver with a lower epoch, or without one while an epoch receiver is attached, is refused.
 */
export class ReceiverRegistry {
  private readonly byPartition = new Map<string, Set<PartitionPump>>();
  private readonly bySender = new Map<Sender, { key: string; pump: PartitionPump }>();

  constructor(private readonly clock: () => number) {}

  /** Attaches the receiver and starts streaming, or returns why it is refused. */
  attach(key: string, sender: Sender, options: ReceiverOptions, log: PartitionLog): AmqpFailure | undefined {
    const epoch = options.epoch;
    const pumps = this.byPartition.get(key) ?? new Set<PartitionPump>();
    this.byPartition.set(key, pumps);
    const epochs = [...pumps].map((p) => p.epoch).filter((e): e is number => e !== undefined);
    const highest = epochs.length === 0 ? undefined : Math.max(...epochs);
    if (highest !== undefined && (epoch === undefined || epoch < highest)) return stolen(highest, undefined);
    if (epoch !== undefined)
      for (const victim of [...pumps]) {
        this.detach(victim.sender);
        victim.sender.close(stolen(victim.epoch, epoch));
      }
    const pump = new PartitionPump(sender, options, log, this.clock);
    pumps.add(pump);
    this.bySender.set(sender, { key, pump });
    return undefined;
  }

  /** Called when the client grants credit. */
  sendable(sender: Sender): void {
    this.bySender.get(sender)?.pump.pump();
  }

  /** Forgets a receiver (closed, its session or connection gone). */
  detach(sender: Sender): void {
    const entry = this.bySender.get(sender);
    if (entry === undefined) return;
    entry.pump.stop();
    this.bySender.delete(sender);
    this.byPartition.get(entry.key)?.delete(entry.pump);
  }

  /** Forgets every receiver for which the predicate holds. */
  detachWhere(predicate: (sender: Sender) => boolean): void {
    for (const sender of [...this.bySender.keys()]) if (predicate(sender)) this.detach(sender);
  }
}
