import { type SubjectStreams } from "../../adapters/tables/subjectStreams";
import { type StoredWebhook } from "../../adapters/tables/webhookEntity";
import { planDeliveries } from "../../domain/deliveryPlan";
import { type IncomingEvent } from "../../domain/events";
import { type OrderedCandidate, type Sequence, subjectIdOf } from "../../domain/ordering";
import { indexWebhooks, type WebhookIndex } from "../../domain/webhookIndex";

export interface PositionedEvent {
  readonly eventId: string;
  readonly event: IncomingEvent;
  readonly sequenceNumber: number;
}

export interface NumberingDeps {
  readonly webhooks: { listCached(): Promise<ReadonlyArray<StoredWebhook>> };
  readonly streams: Pick<SubjectStreams, "number">;
}

/** The routing index of a cached list, when it has any per-subject webhook (built once per list). */
const orderedIndex = new WeakMap<ReadonlyArray<StoredWebhook>, WebhookIndex | null>();

/**
 * Numbers the deliveries a batch makes to per-subject webhooks, in stream order, before its orchestration
 * starts. Ingest runs one batch of a partition at a time, in order, so this is where stream order is known.
 * The plan activity plans the same deliveries again (same ids) and attaches these numbers. With no
 * per-subject webhook this costs one cache lookup.
 */
export const makeNumbering =
  (deps: NumberingDeps) =>
  async (
    partitionId: string,
    events: ReadonlyArray<PositionedEvent>,
  ): Promise<Record<string, Sequence> | undefined> => {
    const list = await deps.webhooks.listCached();
    let index = orderedIndex.get(list);
    if (index === undefined) {
      const webhooks = list.map((s) => s.webhook);
      index = webhooks.some((w) => w.ordering === "per-subject" && !w.disabled)
        ? indexWebhooks(webhooks)
        : null;
      orderedIndex.set(list, index);
    }
    if (index === null) return undefined;
    const perSubject = new Set(index.webhooks.filter((w) => w.ordering === "per-subject").map((w) => w.id));
    const candidates: OrderedCandidate[] = [];
    for (const { eventId, event, sequenceNumber } of events) {
      for (const delivery of planDeliveries(eventId, event, index)) {
        if (delivery.subject === undefined || !perSubject.has(delivery.webhookId)) continue;
        candidates.push({
          deliveryId: delivery.id,
          webhookId: delivery.webhookId,
          subjectId: subjectIdOf(delivery.webhookId, delivery.subject),
          partitionId,
          sequenceNumber,
        });
      }
    }
    if (candidates.length === 0) return undefined;
    const { sequences, settledBefore } = await deps.streams.number(candidates);
    // A redelivered batch (possibly cut at other boundaries) holds deliveries already settled: number 0 marks
    // them, so the deliver activity reports them settled instead of sending them again out of order.
    const numbered: Record<string, Sequence> = Object.fromEntries(sequences);
    for (const id of settledBefore) numbered[id] = { n: 0 };
    return numbered;
  };
