import { Fragment } from "preact";
import { useState } from "preact/hooks";

import { type Api, type DeliveryAttempt, EVENT_NAMES } from "../api";
import { answer, type StatusClass, statusClassOf, time } from "../format";
import { useInterval, useLoad } from "../hooks";
import { href } from "../route";
import { Alert, Cell, Status } from "../widgets";

const LIMIT = 1000;

const AttemptDetail = ({ attempt }: { attempt: DeliveryAttempt }) => (
  <dl class="facts detail">
    <dt>Delivery id (webhook-id)</dt>
    <dd>{attempt.deliveryId}</dd>
    <dt>Event</dt>
    <dd>{attempt.eventName}</dd>
    <dt>Attempt</dt>
    <dd>{String(attempt.attempt)}</dd>
    <dt>Outcome</dt>
    <dd>{attempt.outcome}</dd>
    <dt>Status</dt>
    <dd>{attempt.status === undefined ? "no answer" : `HTTP ${attempt.status}`}</dd>
    <dt>Error</dt>
    <dd>{attempt.error ?? "—"}</dd>
    <dt>Receiver's answer</dt>
    <dd>{attempt.answer === undefined ? "—" : <pre class="answer">{attempt.answer}</pre>}</dd>
    <dt>Latency</dt>
    <dd>{attempt.latencyMs} ms</dd>
    <dt>At</dt>
    <dd>{time(attempt.at)}</dd>
  </dl>
);

/** Attempts newest first; each row opens its detail. */
export const AttemptsTable = ({
  attempts,
  highlight,
}: {
  attempts: ReadonlyArray<DeliveryAttempt>;
  highlight?: string | undefined;
}) => {
  const [open, setOpen] = useState<string | undefined>(undefined);
  if (attempts.length === 0) return <p class="muted">No attempts.</p>;
  const keyOf = (a: DeliveryAttempt) => `${a.deliveryId}#${a.attempt}`;
  return (
    <div class="table-wrap">
      <table class="cards">
        <thead>
          <tr>
            <th scope="col">At</th>
            <th scope="col">Delivery id</th>
            <th scope="col">Event</th>
            <th scope="col">Attempt</th>
            <th scope="col">Outcome</th>
            <th scope="col">Answer</th>
            <th scope="col">Latency</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {attempts.map((a) => (
            <Fragment key={keyOf(a)}>
              <tr class={[a.outcome, a.deliveryId === highlight ? "highlight" : ""].join(" ")}>
                <Cell label="At">{time(a.at)}</Cell>
                <Cell label="Delivery id">
                  <code>{a.deliveryId}</code>
                </Cell>
                <Cell label="Event">{a.eventName}</Cell>
                <Cell label="Attempt">{String(a.attempt)}</Cell>
                <Cell label="Outcome">{a.outcome}</Cell>
                <Cell label="Answer">{answer(a)}</Cell>
                <Cell label="Latency">{a.latencyMs} ms</Cell>
                <Cell label="Detail">
                  <button
                    type="button"
                    class="secondary small"
                    aria-expanded={open === keyOf(a)}
                    aria-label={`Detail of attempt ${a.attempt} of ${a.deliveryId}`}
                    onClick={() => setOpen(open === keyOf(a) ? undefined : keyOf(a))}
                  >
                    {open === keyOf(a) ? "Hide" : "Show"}
                  </button>
                </Cell>
              </tr>
              {open === keyOf(a) && (
                <tr class="detail-row">
                  <td colSpan={8}>
                    <AttemptDetail attempt={a} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
};

/** "YYYY-MM-DDTHH:MM" of a datetime-local input, read as UTC (the console shows every time in UTC). */
const utcMs = (local: string): number | undefined => (local === "" ? undefined : Date.parse(`${local}:00Z`));

export const DeliveryLogScreen = ({ api, webhookId }: { api: Api; webhookId?: string | undefined }) => {
  const webhooks = useLoad(() => api.listWebhooks(), [api]);
  const id = webhookId ?? webhooks.value?.[0]?.id;
  const log = useLoad(() => (id === undefined ? Promise.resolve([]) : api.deliveries(id, LIMIT)), [api, id]);
  const [statusClass, setStatusClass] = useState<StatusClass>("");
  const [eventName, setEventName] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [deliveryId, setDeliveryId] = useState("");
  const [auto, setAuto] = useState(false);
  useInterval(auto && id !== undefined, 3000, () => void log.reload());
  const fromMs = utcMs(from);
  const toMs = utcMs(to);
  const shown = (log.value ?? []).filter(
    (a) =>
      (statusClass === "" || statusClassOf(a) === statusClass) &&
      (eventName === "" || a.eventName === eventName) &&
      (fromMs === undefined || Date.parse(a.at) >= fromMs) &&
      (toMs === undefined || Date.parse(a.at) < toMs + 60_000) &&
      (deliveryId.trim() === "" || a.deliveryId.includes(deliveryId.trim())),
  );
  return (
    <section aria-labelledby="log-title">
      <div class="title-row">
        <h1 id="log-title">Delivery log</h1>
        <button type="button" class="secondary" onClick={() => void log.reload()} disabled={log.loading}>
          Refresh
        </button>
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter attempts">
        <div class="field grow">
          <label for="log-webhook">Webhook</label>
          <select
            id="log-webhook"
            value={id ?? ""}
            onChange={(e) => (location.hash = href({ screen: "log", id: e.currentTarget.value }))}
          >
            {(webhooks.value ?? []).map((w) => (
              <option key={w.id} value={w.id}>
                {w.url} ({w.id})
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="log-status">Status</label>
          <select
            id="log-status"
            value={statusClass}
            onChange={(e) => setStatusClass(e.currentTarget.value as StatusClass)}
          >
            <option value="">Any</option>
            <option value="2xx">2xx</option>
            <option value="3xx">3xx</option>
            <option value="4xx">4xx</option>
            <option value="5xx">5xx</option>
            <option value="error">No answer (error)</option>
          </select>
        </div>
        <div class="field">
          <label for="log-event">Event</label>
          <select id="log-event" value={eventName} onChange={(e) => setEventName(e.currentTarget.value)}>
            <option value="">Any</option>
            {EVENT_NAMES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="log-from">From (UTC)</label>
          <input
            id="log-from"
            type="datetime-local"
            value={from}
            onInput={(e) => setFrom(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="log-to">To (UTC)</label>
          <input id="log-to" type="datetime-local" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="log-delivery">Delivery id</label>
          <input id="log-delivery" value={deliveryId} onInput={(e) => setDeliveryId(e.currentTarget.value)} />
        </div>
        <label class="check">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.currentTarget.checked)} />{" "}
          Auto-refresh (3 s)
        </label>
      </form>
      <Alert message={webhooks.error ?? log.error} />
      {webhooks.value !== undefined && webhooks.value.length === 0 && <p>No webhooks yet.</p>}
      {log.value !== undefined && (
        <Status>
          {shown.length} of the newest {log.value.length} attempts
          {log.value.length === LIMIT ? ` (the filters apply to the newest ${LIMIT})` : ""}
        </Status>
      )}
      <AttemptsTable attempts={shown} />
    </section>
  );
};
