import { useState } from "preact/hooks";

import { type Api, type Replay, type ReplayState } from "../api";
import { time } from "../format";
import { useAction, useInterval, useLoad } from "../hooks";
import { href } from "../route";
import { Alert, Cell, ConfirmButton, Status } from "../widgets";
import { StartReplay } from "./startReplay";

/** How often the list is read while a replay runs. */
const FOLLOW_MS = 1000;

const BADGE: Record<ReplayState, string> = {
  running: "badge",
  completed: "badge badge-on",
  failed: "badge badge-off",
  cancelled: "badge badge-muted",
};

const ReplayBadge = ({ state }: { state: ReplayState }) => <span class={BADGE[state]}>{state}</span>;

/** The partitions that reached `to`, of those the replay listed (none before its first step), as the CLI counts. */
const partitionsText = (replay: Replay): string => {
  const positions = Object.values(replay.partitions);
  if (positions.length === 0) return "not listed yet";
  return `${positions.filter((p) => p.finished).length} of ${positions.length}`;
};

const started = (r: Replay): string =>
  `Replay ${r.id} started: ${r.events.join(", ")} from ${time(r.from)} to ${time(r.to)} at ${r.rate} events/s.`;

const cancelled = (r: Replay): string =>
  `Replay ${r.id} ${r.state}: ${r.deliveries.delivered} of ${r.deliveries.planned} delivered; ` +
  "the deliveries it already handed over still arrive.";

const ReplaysTable = ({
  replays,
  busy,
  onCancel,
}: {
  replays: ReadonlyArray<Replay>;
  busy: boolean;
  onCancel: (replay: Replay) => void;
}) => (
  <div class="table-wrap">
    <table class="cards">
      <thead>
        <tr>
          <th scope="col">Replay id</th>
          <th scope="col">State</th>
          <th scope="col">Window</th>
          <th scope="col">Events</th>
          <th scope="col">Rate</th>
          <th scope="col">Read</th>
          <th scope="col">Delivered</th>
          <th scope="col">Retried</th>
          <th scope="col">Dead-lettered</th>
          <th scope="col">Dropped</th>
          <th scope="col">Partitions at to</th>
          <th scope="col">Started</th>
          <th scope="col">Finished</th>
          <th scope="col">Error</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {replays.map((r) => (
          <tr key={r.id} class={r.state === "failed" ? "permanent" : undefined}>
            <Cell label="Replay id">
              <code>{r.id}</code>
            </Cell>
            <Cell label="State">
              <ReplayBadge state={r.state} />
            </Cell>
            <Cell label="Window">
              {time(r.from)} to {time(r.to)}
            </Cell>
            <Cell label="Events">{r.events.join(", ") || "—"}</Cell>
            <Cell label="Rate">{`${r.rate}/s`}</Cell>
            <Cell label="Read">{String(r.eventsRead)}</Cell>
            <Cell label="Delivered">{`${r.deliveries.delivered} of ${r.deliveries.planned}`}</Cell>
            <Cell label="Retried">{String(r.deliveries.retried)}</Cell>
            <Cell label="Dead-lettered">{String(r.deliveries.deadLettered)}</Cell>
            <Cell label="Dropped">{String(r.deliveries.dropped)}</Cell>
            <Cell label="Partitions at to">{partitionsText(r)}</Cell>
            <Cell label="Started">{time(r.startedAt)}</Cell>
            <Cell label="Finished">{time(r.finishedAt)}</Cell>
            <Cell label="Error">{r.error ?? "—"}</Cell>
            <Cell label="Actions">
              {r.state === "running" ? (
                <ConfirmButton
                  label="Cancel"
                  confirmLabel="Confirm cancel"
                  dismissLabel="Keep running"
                  target={r.id}
                  disabled={busy}
                  onConfirm={() => onCancel(r)}
                />
              ) : (
                "—"
              )}
            </Cell>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

/**
 * A webhook's replays from the Event Hub: start one for a window, follow them (read every second while one
 * runs), cancel a running one. The outcome of a start or a cancel is in the status region.
 */
export const ReplaysScreen = ({ api, id }: { api: Api; id: string }) => {
  const webhook = useLoad(() => api.getWebhook(id), [api, id]);
  const list = useLoad(() => api.replays(id), [api, id]);
  const items = list.value ?? [];
  const running = items.some((r) => r.state === "running");
  useInterval(running, FOLLOW_MS, () => void list.reload());
  const [done, setDone] = useState<string | undefined>(undefined);
  const action = useAction();
  const cancel = (replay: Replay) =>
    action.run(async () => {
      setDone(undefined);
      let answer: Replay;
      try {
        answer = await api.cancelReplay(id, replay.id);
      } finally {
        await list.reload();
      }
      // Said once the table shows it too.
      setDone(cancelled(answer));
    });
  const w = webhook.value?.webhook;
  return (
    <section aria-labelledby="replays-title">
      <p>
        <a href={href({ screen: "webhook", id })}>← Webhook</a>
      </p>
      <div class="title-row">
        <h1 id="replays-title">Replays</h1>
        <button type="button" class="secondary" onClick={() => void list.reload()}>
          Refresh
        </button>
      </div>
      <p class="muted url">
        {w === undefined ? id : `${w.url} (${w.id})`}
        {w?.disabled === true && " · disabled: enable it before replaying"}
      </p>
      <Alert message={webhook.error} />
      {w !== undefined && (
        <StartReplay
          api={api}
          webhookId={id}
          subscriptions={w.subscriptions}
          key={w.id}
          onStarted={async (replay) => {
            setDone(undefined);
            await list.reload();
            setDone(started(replay));
          }}
        />
      )}
      <Alert message={list.error ?? action.error} />
      <Status>{done ?? ""}</Status>
      {running && <p class="muted">A replay is running: the list is read again every second.</p>}
      {list.value !== undefined && items.length === 0 && <p class="muted">No replays yet.</p>}
      {items.length > 0 && (
        <ReplaysTable replays={items} busy={action.busy} onCancel={(r) => void cancel(r)} />
      )}
    </section>
  );
};
