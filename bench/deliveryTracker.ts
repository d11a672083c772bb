import { performance } from "node:perf_hooks";

import { type ReceivedRequest, type WebhookReceiver } from "../__integrations__/agent/receiver";
import { type Responder } from "../__integrations__/agent/responses";

/**
 * Matches what the receivers got against what the bench published. Each receiver answers 200 through a
 * responder that stamps the receipt time; the receiver pushes the request right after calling it, so the n-th
 * stamp belongs to the n-th recorded request. `collect()` drains both (keeping the receivers' own arrays short).
 */
export interface StampedReceiver {
  readonly responder: Responder;
  attach(receiver: WebhookReceiver): void;
  drain(): ReadonlyArray<{ readonly webhookId: string; readonly at: number }>;
}

/**
 * `failOnce`: webhook-ids whose first request gets 503 with `Retry-After: 2` (each id is removed when it has
 * failed once): the retry comes exactly 2 s later (Retry-After is not jittered), which keeps the cost bench's
 * retries away from second boundaries (see bench/cost.ts).
 */
export const stampedReceiver = (failOnce?: Set<string>): StampedReceiver => {
  const stamps: number[] = [];
  let target: WebhookReceiver | undefined;
  return {
    responder: (_attempt, request) => {
      stamps.push(performance.now());
      return failOnce?.delete(request.headers["webhook-id"] ?? "") === true
        ? { status: 503, headers: { "retry-after": "2" } }
        : { status: 200 };
    },
    attach: (receiver) => {
      target = receiver;
    },
    drain: () => {
      if (target === undefined) return [];
      // The agent's receiver exposes its array read-only; the bench empties it to keep the per-request scan short.
      const requests = (target.requests as ReceivedRequest[]).splice(0);
      const at = stamps.splice(0);
      return requests.map((r, i) => ({ webhookId: r.webhookId, at: at[i] ?? NaN }));
    },
  };
};

export interface TrackerCounts {
  readonly expected: number;
  readonly received: number;
  /** Requests whose webhook-id was already received (at-least-once redeliveries) or never expected. */
  readonly extra: number;
}

/** Expected webhook-ids with their publish time; receipts turn them into latencies. */
export class DeliveryTracker {
  private readonly publishedAt = new Map<string, number>();
  private readonly latencies: number[] = [];
  private received = 0;
  private extra = 0;
  firstPublishAt = Infinity;
  lastReceiptAt = 0;

  expect(ids: ReadonlyArray<string>, at: number): void {
    this.firstPublishAt = Math.min(this.firstPublishAt, at);
    for (const id of ids) this.publishedAt.set(id, at);
  }

  /** Wall-clock times (ms since the epoch) of every receipt, redeliveries and retries included. */
  readonly receiptWallMs: number[] = [];

  receive(webhookId: string, at: number): void {
    this.receiptWallMs.push(performance.timeOrigin + at);
    const published = this.publishedAt.get(webhookId);
    if (published === undefined) {
      this.extra++;
      return;
    }
    this.publishedAt.set(webhookId, NaN);
    if (Number.isNaN(published)) {
      this.extra++;
      return;
    }
    this.received++;
    this.latencies.push(at - published);
    this.lastReceiptAt = Math.max(this.lastReceiptAt, at);
  }

  counts(): TrackerCounts {
    return { expected: this.publishedAt.size, received: this.received, extra: this.extra };
  }

  complete(): boolean {
    return this.received >= this.publishedAt.size;
  }

  latencyMs(): ReadonlyArray<number> {
    return this.latencies;
  }
}

/** Drains every receiver into the tracker. */
export const collect = (receivers: ReadonlyArray<StampedReceiver>, tracker: DeliveryTracker): void => {
  for (const r of receivers) for (const { webhookId, at } of r.drain()) tracker.receive(webhookId, at);
};
