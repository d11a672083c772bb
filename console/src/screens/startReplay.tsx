import { useState } from "preact/hooks";

import { type Api, type EventName, type Replay, type ReplayRequest } from "../api";
import { useAction } from "../hooks";
import { Alert } from "../widgets";

/** The API's rate when a request names none, and its most (events per second). */
export const DEFAULT_RATE = 200;
const MAX_RATE = 5000;

/**
 * A datetime-local value ("2026-03-01T10:00" or with seconds) read as UTC, as every time the console shows; the
 * API checks it (a value it cannot read comes back as a field error, like any other).
 */
const utc = (local: string): string => `${/T\d\d:\d\d$/.test(local) ? `${local}:00` : local}Z`;

const requestOf = (form: { from: string; to: string; events: EventName[]; rate: string }): ReplayRequest => ({
  from: utc(form.from),
  ...(form.to === "" ? {} : { to: utc(form.to) }),
  events: form.events,
  ...(form.rate.trim() === "" ? {} : { rate: Number(form.rate) }),
});

/**
 * "Start a replay": re-delivers the webhook's events of a window from the Event Hub. The events to choose from
 * are the webhook's subscriptions, all chosen at first; a refused request shows the API's field errors as text.
 */
export const StartReplay = ({
  api,
  webhookId,
  subscriptions,
  onStarted,
}: {
  api: Api;
  webhookId: string;
  subscriptions: ReadonlyArray<EventName>;
  /** Runs while the form is busy (the screen reloads its list before it says the replay started). */
  onStarted: (replay: Replay) => Promise<void>;
}) => {
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [rate, setRate] = useState(String(DEFAULT_RATE));
  // What the operator unticked: every subscription is chosen until then, also one loaded later.
  const [unticked, setUnticked] = useState<ReadonlyArray<EventName>>([]);
  const events = subscriptions.filter((name) => !unticked.includes(name));
  const action = useAction();
  const tick = (name: EventName, on: boolean) =>
    setUnticked((u) => (on ? u.filter((x) => x !== name) : [...u, name]));
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      await onStarted(await api.startReplay(webhookId, requestOf({ from, to, events, rate })));
    });
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="start-replay-title">
      <h2 id="start-replay-title">Start a replay</h2>
      <p class="hint muted">
        Sends the webhook the events the Event Hub still holds from a window again (times in UTC), with the
        webhook-ids the live path gave them, so a receiver that keeps them can tell a repeat.
      </p>
      <div class="filters">
        <div class="field">
          <label for="replay-from">From (UTC)</label>
          <input
            id="replay-from"
            type="datetime-local"
            step={1}
            required
            value={from}
            onInput={(e) => setFrom(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="replay-to">To (UTC, empty: now)</label>
          <input
            id="replay-to"
            type="datetime-local"
            step={1}
            value={to}
            onInput={(e) => setTo(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="replay-rate">Rate (events/s)</label>
          <input
            id="replay-rate"
            type="number"
            inputMode="numeric"
            min={1}
            max={MAX_RATE}
            step={1}
            placeholder={String(DEFAULT_RATE)}
            aria-describedby="replay-rate-hint"
            value={rate}
            onInput={(e) => setRate(e.currentTarget.value)}
          />
          <span id="replay-rate-hint" class="muted">
            default {DEFAULT_RATE}, at most {MAX_RATE}
          </span>
        </div>
      </div>
      <fieldset>
        <legend>Events</legend>
        {subscriptions.length === 0 && <p class="muted">The webhook is subscribed to no event.</p>}
        {subscriptions.map((name) => (
          <label class="check" key={name}>
            <input
              type="checkbox"
              checked={events.includes(name)}
              onChange={(e) => tick(name, e.currentTarget.checked)}
            />{" "}
            {name}
          </label>
        ))}
      </fieldset>
      <div class="actions">
        <button type="submit" disabled={action.busy || from === "" || events.length === 0}>
          {action.busy ? "Starting…" : "Start replay"}
        </button>
      </div>
      <Alert message={action.error} />
    </form>
  );
};
