import { type WebhookSender } from "../../adapters/delivery/webhookSender";
import { type CachedWebhookStore } from "../../adapters/tables/cachedWebhookStore";
import { type DeadLetter, type DeadLetterStore } from "../../adapters/tables/deadLetters";
import { type DeliveryAttempt, type DeliveryLog } from "../../adapters/tables/deliveryLog";
import { type ProgressChange, type SubjectStreams } from "../../adapters/tables/subjectStreams";
import { type StoredWebhook } from "../../adapters/tables/webhookEntity";
import { type Telemetry, tracedSender } from "../../adapters/telemetry/telemetry";
import { type DeliveryOutcome } from "../../domain/classification";
import { planDeliveries } from "../../domain/deliveryPlan";
import {
  type DeadLetterRequest,
  type DeliverInput,
  type DeliveryReport,
  nextDueAt,
  type PendingDelivery,
  type PlanInput,
  type PlanResult,
  readDeliverInput,
} from "../../domain/dispatch";
import {
  chunkByStream,
  INITIAL_PROGRESS,
  type ProgressEvent,
  readiness,
  type Sequence,
  sequenceHeaders,
  streamIdOf,
  streamKey,
  type SubjectProgress,
} from "../../domain/ordering";
import { signingSecrets } from "../../domain/webhook";
import { indexWebhooks, type WebhookIndex } from "../../domain/webhookIndex";
import { type HealthRecorder } from "./healthRecorder";

interface Clock {
  now(): Date;
}
type Log = (message: string) => void;

/** The cache hands out the same list until it reloads: build its by-id map once per list, not per chunk. */
const byIdMemo = new WeakMap<ReadonlyArray<StoredWebhook>, ReadonlyMap<string, StoredWebhook>>();
const webhooksById = async (
  webhooks: Pick<CachedWebhookStore, "listCached">,
): Promise<ReadonlyMap<string, StoredWebhook>> => {
  const list = await webhooks.listCached();
  let map = byIdMemo.get(list);
  if (map === undefined) {
    map = new Map(list.map((s) => [s.webhook.id, s]));
    byIdMemo.set(list, map);
  }
  return map;
};

/** One routing index per cached list (the cache hands out the same list until it reloads). */
const indexMemo = new WeakMap<ReadonlyArray<StoredWebhook>, WebhookIndex>();

/**
 * Plan: enabled webhooks from the cache; remap; route; deterministic delivery ids. Fast path: a plan of at most
 * `deliverUpTo` deliveries (most batches of single-target events) is delivered here as the first round, which
 * saves the orchestration one activity round trip (a history commit, an inbox write and a replay) before the
 * receivers get their POSTs. A crash re-runs the whole activity: the plan is deterministic and the deliveries
 * carry the same ids, so it is the same at-least-once as a re-run deliver activity.
 */
export const makePlanActivity =
  (deps: {
    webhooks: Pick<CachedWebhookStore, "listCached">;
    deliver?: (input: DeliverInput) => Promise<DeliveryReport[]>;
  }) =>
  async (input: PlanInput): Promise<PlanResult> => {
    const list = await deps.webhooks.listCached();
    let index = indexMemo.get(list);
    if (index === undefined) {
      index = indexWebhooks(list.map((s) => s.webhook));
      indexMemo.set(list, index);
    }
    const planned = input.events.flatMap(({ eventId, event }) => planDeliveries(eventId, event, index));
    const sequences = input.sequences;
    // The numbers ingest gave (per-subject webhooks): a delivery ingest did not number goes unordered.
    const deliveries =
      sequences === undefined
        ? planned
        : planned.map((d) => {
            const sequence = sequences[d.id];
            return sequence === undefined ? d : { ...d, sequence };
          });
    const small = input.deliverUpTo !== undefined && deliveries.length <= input.deliverUpTo;
    const { deliver } = deps;
    if (!small || deliver === undefined || deliveries.length === 0) return { deliveries };
    const pending = deliveries.map((delivery) => ({ delivery, attempts: 0 }));
    // Chunks at once, as the orchestration's deliver activities would go (an ordered stream stays in one chunk).
    const chunks = input.chunkSize === undefined ? [pending] : chunkByStream(pending, input.chunkSize);
    const reports = await Promise.all(
      chunks.map((chunk) =>
        deliver({
          deliveries: chunk,
          ...(input.instanceId === undefined ? {} : { instanceId: input.instanceId }),
          ...(input.retrySchedule === undefined ? {} : { retrySchedule: input.retrySchedule }),
        }),
      ),
    );
    return { deliveries, reports: reports.flat() };
  };

export interface DeliverDeps {
  readonly webhooks: Pick<CachedWebhookStore, "listCached" | "disable">;
  readonly sender: WebhookSender;
  readonly log: DeliveryLog;
  readonly clock: Clock;
  readonly warn?: Log;
  /** Endpoint health and the sustained-failure rule (healthRecorder.ts); it never rejects. */
  readonly health?: HealthRecorder;
  /** Progress of per-subject streams; needed only when a chunk holds ordered deliveries. */
  readonly streams?: Pick<SubjectStreams, "progress" | "apply">;
  readonly telemetry?: Telemetry;
  /** Each attempt's deadline when shorter than the sender's own (the ingest's first round, see ingest.ts). */
  readonly attemptTimeoutMs?: number;
}

/**
 * Deliver one chunk: every delivery of it concurrently, each attempt logged. Never throws for a delivery's
 * failure; each delivery gets its own report.
 *
 * Ordered deliveries (with a sequence) go in waves: each wave sends, for every stream, the next delivery whose
 * predecessor is settled, then records the wave's outcomes durably before the next wave, so a crash re-sends
 * at most each stream's in-flight head. A delivery whose predecessor is not settled is reported held.
 */
export const makeDeliverActivity =
  (deps: DeliverDeps) =>
  async (input: ReadonlyArray<PendingDelivery> | DeliverInput): Promise<DeliveryReport[]> => {
    const { deliveries: chunk, instanceId, retrySchedule } = readDeliverInput(input);
    const webhooks = await webhooksById(deps.webhooks);
    const attempts: DeliveryAttempt[] = [];
    const send = async ({ delivery, attempts: made }: PendingDelivery): Promise<DeliveryReport> => {
      const at = deps.clock.now().toISOString();
      const stored = webhooks.get(delivery.webhookId);
      // Failure policy: a webhook deleted or disabled after planning gets nothing; the delivery is dropped and
      // counted, not dead-lettered (there is no one to replay it to).
      if (stored === undefined) return { deliveryId: delivery.id, at, skipped: "webhook deleted" };
      if (stored.webhook.disabled) return { deliveryId: delivery.id, at, skipped: "webhook disabled" };
      const sender = tracedSender(deps.sender, deps.telemetry, delivery, made + 1);
      const result = await sender.send({
        deliveryId: delivery.id,
        url: stored.webhook.url,
        body: JSON.stringify(delivery.message),
        headers: stored.webhook.headers,
        ...(delivery.sequence === undefined ? {} : { sequenceHeaders: sequenceHeaders(delivery.sequence) }),
        secrets: signingSecrets(stored.secrets, deps.clock.now()),
        ...(deps.attemptTimeoutMs === undefined ? {} : { timeoutMs: deps.attemptTimeoutMs }),
      });
      attempts.push({
        webhookId: delivery.webhookId,
        deliveryId: delivery.id,
        eventName: delivery.message.name,
        attempt: made + 1,
        outcome: result.outcome.kind,
        ...(result.outcome.status === undefined ? {} : { status: result.outcome.status }),
        ...(errorText(result.outcome) === undefined ? {} : { error: errorText(result.outcome) }),
        ...(result.answer === undefined ? {} : { answer: result.answer }),
        latencyMs: Math.round(result.latencyMs),
        at,
        ...(delivery.replayId === undefined ? {} : { replayId: delivery.replayId }),
      });
      if (result.outcome.kind === "permanent" && result.outcome.gone) {
        // Failure policy: 410 Gone means the receiver is retired: disable the webhook with the reason recorded.
        await deps.webhooks.disable(delivery.webhookId, `receiver answered 410 Gone at ${at}`);
      }
      return { deliveryId: delivery.id, at, outcome: result.outcome };
    };
    // Re-sends (an operator's replay) and deliveries without a sequence go at once, as before ordering existed.
    const inOrder = chunk.filter(
      (p) => p.delivery.sequence !== undefined && p.delivery.sequence.resend !== true,
    );
    const atOnce = inOrder.length === 0 ? chunk : chunk.filter((p) => !inOrder.includes(p));
    const [free, ordered] = await Promise.all([
      Promise.all(atOnce.map(send)),
      inOrder.length === 0 ? [] : deliverInOrder(deps, inOrder, send, { instanceId, retrySchedule }),
    ]);
    // A re-sent head that arrived settles its stream (an operator's retry of a blocked subject).
    const resentHeads = atOnce.flatMap((p, i): ProgressChange[] => {
      const sequence = p.delivery.sequence;
      const report = free[i];
      return sequence !== undefined && report !== undefined && delivered(report)
        ? [
            {
              webhookId: p.delivery.webhookId,
              subjectId: streamIdOf(p.delivery),
              event: settledBy(p, sequence),
            },
          ]
        : [];
    });
    if (resentHeads.length > 0) await streamsOf(deps).apply(resentHeads);
    try {
      await deps.log.record(attempts);
    } catch (error) {
      // Failure policy: the log is for operators; failing to write it must not turn a delivered message into a
      // retried one (that would deliver it again).
      deps.warn?.(`delivery log write failed for ${attempts.length} attempts: ${errorMessage(error)}`);
    }
    await deps.health?.record(attempts);
    const byId = new Map([...free, ...ordered].map((r) => [r.deliveryId, r]));
    return chunk.flatMap((p) => byId.get(p.delivery.id) ?? []);
  };

const delivered = (report: DeliveryReport): boolean =>
  "outcome" in report && report.outcome.kind === "delivered";

const settledBy = (p: PendingDelivery, sequence: Sequence): ProgressEvent => ({
  kind: "delivered",
  n: sequence.n,
  deliveryId: p.delivery.id,
});

const streamsOf = (deps: DeliverDeps): Pick<SubjectStreams, "progress" | "apply"> => {
  // Failure policy: ordered deliveries without the stream store are a wiring bug; fail the activity loudly.
  if (deps.streams === undefined) throw new Error("ordered deliveries need the subject streams store");
  return deps.streams;
};

/** The waves of ordered deliveries (see makeDeliverActivity). */
const deliverInOrder = async (
  deps: DeliverDeps,
  items: ReadonlyArray<PendingDelivery>,
  send: (p: PendingDelivery) => Promise<DeliveryReport>,
  context: { instanceId?: string | undefined; retrySchedule?: ReadonlyArray<number> | undefined },
): Promise<DeliveryReport[]> => {
  const streams = streamsOf(deps);
  const queues = new Map<string, PendingDelivery[]>();
  for (const p of items) {
    const key = streamKey(p.delivery.webhookId, streamIdOf(p.delivery));
    queues.set(key, [...(queues.get(key) ?? []), p]);
  }
  for (const queue of queues.values()) queue.sort((a, b) => nOf(a) - nOf(b));
  const refOf = (p: PendingDelivery) => ({ webhookId: p.delivery.webhookId, subjectId: subjectOf(p) });
  let progress = await streams.progress(
    [...queues.values()].map((q) => refOf(q[0] as PendingDelivery)),
    new Map([...queues].map(([key, q]) => [key, nOf(q[0] as PendingDelivery)])),
  );
  const reports: DeliveryReport[] = [];
  const at = (): string => deps.clock.now().toISOString();
  while (queues.size > 0) {
    const wave: PendingDelivery[] = [];
    for (const [key, queue] of queues) {
      const state = progress.get(key) ?? INITIAL_PROGRESS;
      // Already settled by an earlier run of this activity (its report was lost): nothing to send again.
      while (queue.length > 0 && readiness(state, nOf(queue[0] as PendingDelivery)) === "settled") {
        reports.push({ deliveryId: (queue.shift() as PendingDelivery).delivery.id, at: at(), settled: true });
      }
      const head = queue[0];
      if (head !== undefined && readiness(state, nOf(head)) === "ready") {
        wave.push(head);
        queue.shift();
      } else {
        for (const p of queue) reports.push(heldReport(p, state, at()));
        queues.delete(key);
      }
      if (queue.length === 0) queues.delete(key);
    }
    if (wave.length === 0) break;
    const waveReports = await Promise.all(wave.map(send));
    reports.push(...waveReports);
    const changes = wave.flatMap((p, i): ProgressChange[] => {
      const report = waveReports[i];
      if (report === undefined || !("outcome" in report)) return [];
      const event = progressEventOf(p, report, context);
      return event === undefined ? [] : [{ ...refOf(p), event }];
    });
    // Failure policy: the next wave goes only once this one's outcomes are stored; if storage fails, the
    // activity fails and is retried, re-sending only these heads (same webhook-id and sequence).
    progress = new Map([...progress, ...(await streams.apply(changes))]);
    for (const [i, p] of wave.entries()) {
      const key = streamKey(p.delivery.webhookId, subjectOf(p));
      const report = waveReports[i];
      if (report !== undefined && delivered(report)) continue;
      // Not delivered: the rest of its stream in this chunk waits behind it.
      for (const rest of queues.get(key) ?? [])
        reports.push({ deliveryId: rest.delivery.id, at: at(), held: true });
      queues.delete(key);
    }
  }
  return reports;
};

/** A held delivery's report: what the unsettled delivery ahead of it is doing, so the orchestration knows when
    to look again. */
const heldReport = (p: PendingDelivery, progress: SubjectProgress, at: string): DeliveryReport => ({
  deliveryId: p.delivery.id,
  at,
  held: true,
  behind: progress.state,
  ...(progress.state === "waiting" && progress.head?.nextAttemptAt !== undefined
    ? { lookAt: progress.head.nextAttemptAt }
    : {}),
});

const nOf = (p: PendingDelivery): number => p.delivery.sequence?.n ?? 0;
const subjectOf = (p: PendingDelivery): string => streamIdOf(p.delivery);

/** What a wave's outcome does to its stream: delivered settles it; a failure holds it (visible to operators). */
const progressEventOf = (
  p: PendingDelivery,
  report: Extract<DeliveryReport, { outcome: unknown }>,
  context: { instanceId?: string | undefined; retrySchedule?: ReadonlyArray<number> | undefined },
): ProgressEvent | undefined => {
  const n = nOf(p);
  const outcome = report.outcome;
  if (outcome.kind === "delivered") return { kind: "delivered", n, deliveryId: p.delivery.id };
  const attempts = p.attempts + 1;
  // The orchestration decides the next attempt; this is the same computation, for operators to see.
  const nextAt =
    outcome.kind === "retryable" && context.instanceId !== undefined && context.retrySchedule !== undefined
      ? nextDueAt({
          failedAt: Date.parse(report.at),
          attempts,
          schedule: context.retrySchedule,
          ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }),
          seed: context.instanceId,
        })
      : undefined;
  return {
    kind: "failed",
    n,
    deliveryId: p.delivery.id,
    attempts,
    at: report.at,
    ...(nextAt === undefined ? {} : { nextAttemptAt: new Date(nextAt).toISOString() }),
    ...(outcome.status === undefined ? {} : { lastStatus: outcome.status }),
    ...(errorText(outcome) === undefined ? {} : { lastError: errorText(outcome) }),
    ...(context.instanceId === undefined ? {} : { holder: context.instanceId }),
  };
};

/** Dead letters: the full request (url, body, the webhook's own headers; never signatures) for replay. */
export const makeDeadLetterActivity =
  (deps: {
    webhooks: Pick<CachedWebhookStore, "listCached">;
    deadLetters: DeadLetterStore;
    clock: Clock;
    streams?: Pick<SubjectStreams, "apply">;
    telemetry?: Telemetry;
  }) =>
  async (requests: ReadonlyArray<DeadLetterRequest>): Promise<number> => {
    const webhooks = await webhooksById(deps.webhooks);
    const now = deps.clock.now().toISOString();
    const letters = requests.map(({ pending, reason }): DeadLetter => {
      const webhook = webhooks.get(pending.delivery.webhookId)?.webhook;
      const last = pending.last;
      return {
        deliveryId: pending.delivery.id,
        webhookId: pending.delivery.webhookId,
        eventId: pending.delivery.eventId,
        ...(pending.delivery.subject === undefined ? {} : { subject: pending.delivery.subject }),
        ...(pending.delivery.sequence === undefined
          ? {}
          : {
              sequence: {
                ...withoutResend(pending.delivery.sequence),
                subjectId: streamIdOf(pending.delivery),
              },
            }),
        url: webhook?.url ?? "",
        body: JSON.stringify(pending.delivery.message),
        headers: webhook?.headers ?? {},
        attempts: pending.attempts,
        ...(last?.status === undefined ? {} : { lastStatus: last.status }),
        ...(last === undefined || errorText(last) === undefined ? {} : { lastError: errorText(last) }),
        reason,
        firstAttemptAt: pending.firstAttemptAt ?? now,
        deadLetteredAt: now,
      };
    });
    await deps.deadLetters.put(letters);
    deps.telemetry?.deadLettered(letters);
    // Only once the dead letters are stored: their streams move past them, or block (orderingOnFailure).
    const changes = requests.flatMap(({ pending }): ProgressChange[] => {
      const sequence = pending.delivery.sequence;
      if (sequence === undefined) return [];
      const webhook = webhooks.get(pending.delivery.webhookId)?.webhook;
      return [
        {
          webhookId: pending.delivery.webhookId,
          subjectId: streamIdOf(pending.delivery),
          event: {
            kind: "dead-lettered",
            n: sequence.n,
            deliveryId: pending.delivery.id,
            at: now,
            block: webhook?.orderingOnFailure === "block",
            attempts: pending.attempts,
          },
        },
      ];
    });
    if (changes.length > 0) {
      if (deps.streams === undefined) throw new Error("ordered dead letters need the subject streams store");
      await deps.streams.apply(changes);
    }
    return letters.length;
  };

const withoutResend = ({ resend: _resend, ...sequence }: Sequence): Sequence => sequence;

/** An outcome's error kind for the log and dead letters, with the blocked target's reason when there is one. */
const errorText = (outcome: DeliveryOutcome): string | undefined => {
  if (!("error" in outcome) || outcome.error === undefined) return undefined;
  return "detail" in outcome && outcome.detail !== undefined
    ? `${outcome.error}: ${outcome.detail}`
    : outcome.error;
};

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));
