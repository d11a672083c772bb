import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { type InstanceStatus } from "../dispatch/orchestrationStarter";

/**
 * A recovery: one webhook's dead letters dead-lettered from `since` up to `startedAt` (when it was asked for),
 * each sent again as a dead-letter replay is. It runs as a durable orchestration whose instance id comes from the
 * webhook and the recovery id, so the status route reads it from the task hub and no table of its own is needed.
 */

export const RECOVERY_ORCHESTRATOR = "dead-letter-recovery";
export const RECOVER_PAGE_ACTIVITY = "dead-letter-recover-page";

export const recoveryInstanceId = (webhookId: string, recoveryId: string): string =>
  `recover:${webhookId}:${recoveryId}`;

/** What a recovery has done so far; its input, its custom status and (with `outcome`) its output. */
export const RecoveryProgress = t.intersection(
  [
    t.type({
      recoveryId: t.string,
      webhookId: t.string,
      since: t.string,
      startedAt: t.string,
      /** Dead letters in the window when the recovery was asked for. */
      count: t.number,
      /** Dead letters the recovery met (one it handed over and met again after a crash counts once more). */
      found: t.number,
      /** Dead letters whose replay instance is started (durably, in the task hub) and whose row is removed. */
      handedOver: t.number,
    }),
    /** The delivery id of the last dead letter of the last finished page: where the next page starts. */
    t.partial({ after: t.string }),
  ],
  "RecoveryProgress",
);
export type RecoveryProgress = t.TypeOf<typeof RecoveryProgress>;

/** A finished recovery: completed, or stopped because its webhook was deleted or disabled on the way. */
export const RecoveryOutcome = t.intersection(
  [
    RecoveryProgress,
    t.type({ outcome: t.keyof({ completed: null, failed: null }), finishedAt: t.string }),
    t.partial({ reason: t.string }),
  ],
  "RecoveryOutcome",
);
export type RecoveryOutcome = t.TypeOf<typeof RecoveryOutcome>;

export const PageRequest = t.intersection(
  [t.type({ webhookId: t.string, since: t.string, until: t.string }), t.partial({ after: t.string })],
  "PageRequest",
);
export type PageRequest = t.TypeOf<typeof PageRequest>;

export const PageResult = t.intersection(
  [
    t.type({ found: t.number, handedOver: t.number }),
    /** `next`: where the next page starts (none: the window is done); `stopped`: why nothing more can be sent. */
    t.partial({ next: t.string, stopped: t.string }),
  ],
  "PageResult",
);
export type PageResult = t.TypeOf<typeof PageResult>;

/** The recovery as the API shows it. */
export const Recovery = t.intersection(
  [
    t.type({
      id: t.string,
      webhookId: t.string,
      state: t.keyof({ running: null, completed: null, failed: null }),
      since: t.string,
      startedAt: t.string,
      count: t.number,
      found: t.number,
      handedOver: t.number,
      updatedAt: t.string,
    }),
    t.partial({ finishedAt: t.string, reason: t.string }),
  ],
  "Recovery",
);
export type Recovery = t.TypeOf<typeof Recovery>;

const progressView = (p: RecoveryProgress, state: Recovery["state"], updatedAt: string): Recovery => ({
  id: p.recoveryId,
  webhookId: p.webhookId,
  state,
  since: p.since,
  startedAt: p.startedAt,
  count: p.count,
  found: p.found,
  handedOver: p.handedOver,
  updatedAt,
});

/**
 * The view of a recovery's orchestration: its output once finished, else its latest progress (the custom status
 * set before each page), else its input. A failed or terminated orchestration (activities that kept failing) is
 * `failed` with the progress it had; the dead letters it did not reach are still dead letters.
 */
export const recoveryView = (status: InstanceStatus): Recovery | undefined => {
  const output = RecoveryOutcome.decode(status.output);
  if (E.isRight(output)) {
    const o = output.right;
    return {
      ...progressView(o, o.outcome, status.lastUpdatedTime),
      finishedAt: o.finishedAt,
      ...(o.reason === undefined ? {} : { reason: o.reason }),
    };
  }
  const custom = RecoveryProgress.decode(status.customStatus);
  const input = RecoveryProgress.decode(status.input);
  const progress = E.isRight(custom) ? custom.right : E.isRight(input) ? input.right : undefined;
  if (progress === undefined) return undefined;
  const failed = status.runtimeStatus === "Failed" || status.runtimeStatus === "Terminated";
  return {
    ...progressView(progress, failed ? "failed" : "running", status.lastUpdatedTime),
    ...(failed ? { reason: `the recovery's orchestration is ${status.runtimeStatus.toLowerCase()}` } : {}),
  };
};
