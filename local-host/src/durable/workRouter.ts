import type { ActivityRunner } from "./activityRunner";
import {
  EventType,
  type HistoryEvent,
  subOrchestrationCompleted,
  subOrchestrationFailed,
  timerFired,
} from "./historyEvents";
import { type InstanceMeta, type InstanceStore, isFinished } from "./instanceStore";
import type { Clock, TimerWheel } from "./timers";

/** What became of an event posted to an instance: taken in, its execution is over, or no such instance. */
export type PostResult = "Accepted" | "Gone" | "NotFound";
export type StartResult =
  | { readonly kind: "Started"; readonly instanceId: string }
  | { readonly kind: "Conflict" | "UnknownOrchestrator" | "Stopped" | "InvalidId" };
export interface Parent {
  readonly instanceId: string;
  readonly executionId: string;
  readonly taskId: number;
}

export interface WorkRouterDeps {
  readonly activities: ActivityRunner;
  readonly timers: TimerWheel;
  readonly clock: Clock;
  readonly store: InstanceStore;
  startNew(name: string, instanceId: string, input: string | undefined, parent: Parent): Promise<StartResult>;
  post(
    instanceId: string,
    executionId: string | undefined,
    event: HistoryEvent,
    persist: boolean,
  ): Promise<PostResult>;
  track(work: Promise<unknown>): void;
}

export const timerKey = (meta: InstanceMeta, id: number): string =>
  `${meta.instanceId}/${meta.executionId}/${id}`;

/**
 * Routes the work an allocation event stands for to what runs it (an activity to the activity runner, a durable
 * timer to the timer wheel, a sub-orchestration to startNew) and posts a finished sub-orchestration to its parent.
 */
export class WorkRouter {
  constructor(private readonly deps: WorkRouterDeps) {}

  async notifyParent(child: InstanceMeta): Promise<void> {
    const { parentInstanceId, parentExecutionId, parentTaskId } = child;
    if (parentInstanceId === undefined || parentTaskId === undefined) return;
    const now = this.deps.clock.now();
    const event =
      child.runtimeStatus === "Completed"
        ? subOrchestrationCompleted(now, parentTaskId, child.output ?? "null")
        : subOrchestrationFailed(now, parentTaskId, {
            Reason: String(JSON.parse(child.output ?? '""')),
            Details: "",
          });
    await this.deps.post(parentInstanceId, parentExecutionId, event, true);
  }

  /** Routes the work one allocation event stands for to what runs it. */
  route(meta: InstanceMeta, e: HistoryEvent): void {
    const { instanceId, executionId } = meta;
    if (e.EventType === EventType.TaskScheduled) {
      this.deps.activities.enqueue({
        instanceId,
        executionId,
        taskId: e.EventId,
        name: e.Name ?? "",
        input: e.Input,
      });
    } else if (e.EventType === EventType.TimerCreated) {
      const fireAt = e.FireAt ?? new Date(0).toISOString();
      this.deps.timers.arm(timerKey(meta, e.EventId), new Date(fireAt), () => {
        void this.deps.post(
          instanceId,
          executionId,
          timerFired(this.deps.clock.now(), e.EventId, fireAt),
          false,
        );
      });
    } else if (e.EventType === EventType.SubOrchestrationInstanceCreated) {
      this.deps.track(this.ensureChild(meta, e));
    }
  }

  /** Starts a sub-orchestration unless it already runs for this parent; re-sends a lost completion. */
  private async ensureChild(parent: InstanceMeta, e: HistoryEvent): Promise<void> {
    const childId = e.InstanceId ?? "";
    const link = { instanceId: parent.instanceId, executionId: parent.executionId, taskId: e.EventId };
    const existing = await this.deps.store.readMeta(childId);
    const ours =
      existing?.meta.parentInstanceId === link.instanceId && existing.meta.parentTaskId === link.taskId;
    if (existing !== undefined && ours) {
      if (isFinished(existing.meta.runtimeStatus)) await this.notifyParent(existing.meta);
      return;
    }
    const started = await this.deps.startNew(e.Name ?? "", childId, e.Input, link);
    if (started.kind !== "Started") {
      const reason = `Could not start sub-orchestration '${e.Name ?? ""}' (${started.kind})`;
      await this.deps.post(
        parent.instanceId,
        parent.executionId,
        subOrchestrationFailed(this.deps.clock.now(), e.EventId, { Reason: reason, Details: "" }),
        true,
      );
    }
  }
}
