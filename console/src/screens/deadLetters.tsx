import { Fragment } from "preact";
import { useState } from "preact/hooks";

import { type Api, type DeadLetter } from "../api";
import { answer, entries, time } from "../format";
import { useAction, useLoad } from "../hooks";
import { href } from "../route";
import { Alert, Cell, ConfirmButton, Status } from "../widgets";
import { RecoverSince } from "./recoverSince";

const matches = (l: DeadLetter, text: string): boolean =>
  text === "" ||
  [l.deliveryId, l.eventId, l.reason, l.lastError ?? "", String(l.lastStatus ?? ""), l.url]
    .join(" ")
    .toLowerCase()
    .includes(text.toLowerCase());

export const DeadLettersScreen = ({ api }: { api: Api }) => {
  const webhooks = useLoad(() => api.listWebhooks(), [api]);
  const [webhookId, setWebhookId] = useState("");
  const letters = useLoad(() => api.deadLetters(webhookId === "" ? undefined : webhookId), [api, webhookId]);
  const [text, setText] = useState("");
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [open, setOpen] = useState<string | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const action = useAction();
  const shown = (letters.value ?? []).filter((l) => matches(l, text.trim()));
  const toggle = (id: string, on: boolean) =>
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const replay = (ids: ReadonlyArray<string>) =>
    action.run(async () => {
      setDone(undefined);
      let replayed = 0;
      try {
        for (const id of ids) {
          await api.replay(id);
          replayed++;
        }
      } finally {
        setSelected(new Set());
        // The list first, then the status line: "replayed" never shows beside a row that is already gone.
        await letters.reload();
        setDone(`${replayed} of ${ids.length} replayed.`);
      }
    });
  const remove = (id: string) =>
    action.run(async () => {
      await api.deleteDeadLetter(id);
      await letters.reload();
      setDone(`Dead letter ${id} deleted.`);
    });
  const urlOf = (id: string) => webhooks.value?.find((w) => w.id === id)?.url ?? id;
  return (
    <section aria-labelledby="dl-title">
      <div class="title-row">
        <h1 id="dl-title">Dead letters</h1>
        <button
          type="button"
          class="secondary"
          onClick={() => void letters.reload()}
          disabled={letters.loading}
        >
          Refresh
        </button>
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter dead letters">
        <div class="field grow">
          <label for="dl-webhook">Webhook</label>
          <select id="dl-webhook" value={webhookId} onChange={(e) => setWebhookId(e.currentTarget.value)}>
            <option value="">All webhooks</option>
            {(webhooks.value ?? []).map((w) => (
              <option key={w.id} value={w.id}>
                {w.url} ({w.id})
              </option>
            ))}
          </select>
        </div>
        <div class="field grow">
          <label for="dl-text">Search</label>
          <input
            id="dl-text"
            type="search"
            placeholder="delivery id, reason, status, error"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
        </div>
      </form>
      {webhookId === "" ? (
        <p class="muted">Choose a webhook to recover its dead letters since a time.</p>
      ) : (
        <RecoverSince api={api} webhookId={webhookId} onDone={() => void letters.reload()} />
      )}
      <div class="actions">
        <button
          type="button"
          disabled={action.busy || selected.size === 0}
          onClick={() => void replay([...selected])}
        >
          Replay selected ({selected.size})
        </button>
      </div>
      <Alert message={letters.error ?? action.error} />
      {done !== undefined && <Status>{done}</Status>}
      {letters.value !== undefined && shown.length === 0 && <p class="muted">No dead letters.</p>}
      {shown.length > 0 && (
        <div class="table-wrap">
          <table class="cards">
            <thead>
              <tr>
                <th scope="col">
                  <input
                    type="checkbox"
                    aria-label="Select all shown dead letters"
                    checked={shown.every((l) => selected.has(l.deliveryId))}
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      setSelected(on ? new Set(shown.map((l) => l.deliveryId)) : new Set());
                    }}
                  />
                </th>
                <th scope="col">Dead-lettered</th>
                <th scope="col">Webhook</th>
                <th scope="col">Delivery id</th>
                <th scope="col">Reason</th>
                <th scope="col">Last answer</th>
                <th scope="col">Attempts</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((l) => (
                <Fragment key={l.deliveryId}>
                  <tr>
                    <Cell label="Select">
                      <input
                        type="checkbox"
                        aria-label={`Select dead letter ${l.deliveryId}`}
                        checked={selected.has(l.deliveryId)}
                        onChange={(e) => toggle(l.deliveryId, e.currentTarget.checked)}
                      />
                    </Cell>
                    <Cell label="Dead-lettered">{time(l.deadLetteredAt)}</Cell>
                    <Cell label="Webhook">
                      <a href={href({ screen: "webhook", id: l.webhookId })} class="url">
                        {urlOf(l.webhookId)}
                      </a>
                    </Cell>
                    <Cell label="Delivery id">
                      <code>{l.deliveryId}</code>
                    </Cell>
                    <Cell label="Reason">{l.reason}</Cell>
                    <Cell label="Last answer">{answer({ status: l.lastStatus, error: l.lastError })}</Cell>
                    <Cell label="Attempts">{String(l.attempts)}</Cell>
                    <Cell label="Actions">
                      <div class="actions tight">
                        <button
                          type="button"
                          class="small"
                          disabled={action.busy}
                          aria-label={`Replay ${l.deliveryId}`}
                          onClick={() => void replay([l.deliveryId])}
                        >
                          Replay
                        </button>
                        <ConfirmButton
                          label="Delete"
                          confirmLabel="Confirm delete"
                          target={l.deliveryId}
                          disabled={action.busy}
                          onConfirm={() => void remove(l.deliveryId)}
                        />
                        <button
                          type="button"
                          class="small secondary"
                          aria-expanded={open === l.deliveryId}
                          aria-label={`Detail of ${l.deliveryId}`}
                          onClick={() => setOpen(open === l.deliveryId ? undefined : l.deliveryId)}
                        >
                          {open === l.deliveryId ? "Hide" : "Detail"}
                        </button>
                      </div>
                    </Cell>
                  </tr>
                  {open === l.deliveryId && (
                    <tr class="detail-row">
                      <td colSpan={8}>
                        <dl class="facts detail">
                          <dt>URL</dt>
                          <dd class="url">{l.url}</dd>
                          <dt>Event id</dt>
                          <dd>{l.eventId}</dd>
                          {l.subject !== undefined && (
                            <>
                              <dt>Subject</dt>
                              <dd>{l.subject}</dd>
                            </>
                          )}
                          <dt>Headers</dt>
                          <dd>{entries(l.headers)}</dd>
                          <dt>First attempt</dt>
                          <dd>{time(l.firstAttemptAt)}</dd>
                          <dt>Body</dt>
                          <dd>
                            <pre>{l.body}</pre>
                          </dd>
                        </dl>
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
};
