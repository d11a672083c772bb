/**
 * Which batch of each partition this process ingested last, so that a batch which directly follows it can start
 * its orchestration without first asking whether one exists (the "a redelivered batch starts nothing" check costs
 * a durable client call per batch, a 404 for every new one: about a third of an ingest on a busy runtime).
 *
 * Why skipping it is safe for such a batch: an orchestration's instance id is the batch's hub, partition and
 * first-last sequence numbers, so one with this id exists only if some process ingested exactly this range
 * before. This process did not: it ingested the partition up to the number just before, and a retry of an
 * attempt whose outcome is unknown never counts as following (see `begin`). Another process can have done so
 * only if it owned the partition in between; ownership moves by the Event Hubs load balancer's claims, which take
 * seconds (the local host's consumers balance every 2 s, the Functions host's every 10 s), so a batch counts as
 * following only within the window (INGEST_FOLLOW_WINDOW_MS, default FOLLOW_WINDOW_MS) of the previous one's
 * end; 0 turns the skip off. The first batch
 * after a start, after a gap in the numbers or after a pause is checked as before.
 */
export interface BatchContinuity {
  /** An attempt at a batch begins; true when it directly follows the last batch ingested on that partition. */
  readonly begin: (partition: string, first: number, nowMs: number) => boolean;
  /** The attempt at the batch ending at `last` succeeded. */
  readonly done: (partition: string, last: number, nowMs: number) => void;
}

export const FOLLOW_WINDOW_MS = 1000;

export const makeBatchContinuity = (windowMs = FOLLOW_WINDOW_MS): BatchContinuity => {
  const last = new Map<string, { readonly seq: number; readonly at: number }>();
  /** Per partition, the first sequence number of an attempt that began and has not succeeded (yet). */
  const open = new Map<string, number>();
  return {
    begin(partition, first, nowMs) {
      const previous = last.get(partition);
      const retry = open.get(partition) === first;
      open.set(partition, first);
      return (
        windowMs > 0 &&
        !retry &&
        previous !== undefined &&
        first === previous.seq + 1 &&
        nowMs - previous.at <= windowMs
      );
    },
    done(partition, lastSeq, nowMs) {
      open.delete(partition);
      last.set(partition, { seq: lastSeq, at: nowMs });
    },
  };
};
