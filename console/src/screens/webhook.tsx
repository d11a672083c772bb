import { useEffect, useState } from "preact/hooks";

import {
  type Api,
  EVENT_NAMES,
  type EventName,
  type Ordering,
  type OrderingOnFailure,
  type Webhook,
  type WebhookInput,
} from "../api";
import { lastAttempt, rate, time } from "../format";
import { useAction, useInterval, useLoad } from "../hooks";
import { href } from "../route";
import { Alert, StateBadge, Status } from "../widgets";
import { AttemptsTable } from "./deliveryLog";
import { mapOf, MASK, PairsEditor, pairsOf, SecretShownOnce } from "./webhookParts";

const HealthPanel = ({ api, id, version }: { api: Api; id: string; version: number }) => {
  const health = useLoad(() => api.health(id), [api, id, version]);
  const h = health.value;
  return (
    <section aria-labelledby="health-title" class="panel">
      <h2 id="health-title">Health</h2>
      <Alert message={health.error} />
      {h !== undefined && (
        <dl class="facts">
          <dt>Success rate (24 h)</dt>
          <dd>
            {rate(h.last24Hours)} · {h.last24Hours.deliveries} attempts, {h.last24Hours.failures} failed
          </dd>
          <dt>Last hour</dt>
          <dd>
            {rate(h.lastHour)} · {h.lastHour.deliveries} attempts, {h.lastHour.failures} failed
          </dd>
          <dt>Consecutive failures</dt>
          <dd>{String(h.consecutiveFailures)}</dd>
          <dt>Last success</dt>
          <dd>{lastAttempt(h.lastSuccess)}</dd>
          <dt>Last failure</dt>
          <dd>{lastAttempt(h.lastFailure)}</dd>
          {h.failingSince !== undefined && (
            <>
              <dt>Failing since</dt>
              <dd>{time(h.failingSince)}</dd>
            </>
          )}
          {h.autoDisableAt !== undefined && (
            <>
              <dt>Disabled automatically at</dt>
              <dd>{time(h.autoDisableAt)} if every delivery keeps failing</dd>
            </>
          )}
          {h.heldSubjects !== undefined && (
            <>
              <dt>Held subjects</dt>
              <dd>
                <a href={href({ screen: "subjects", id })}>
                  {h.heldSubjects.waiting} waiting, {h.heldSubjects.blocked} blocked
                </a>
              </dd>
            </>
          )}
        </dl>
      )}
    </section>
  );
};

const Editor = ({
  api,
  webhook,
  etag,
  onSaved,
}: {
  api: Api;
  webhook: Webhook;
  etag: string;
  onSaved: () => void;
}) => {
  const [url, setUrl] = useState(webhook.url);
  const [subscriptions, setSubscriptions] = useState<EventName[]>(webhook.subscriptions);
  const [attributes, setAttributes] = useState(pairsOf(webhook.attributes));
  const [headers, setHeaders] = useState(pairsOf(webhook.headers));
  const [ordering, setOrdering] = useState<Ordering>(webhook.ordering);
  const [onFailure, setOnFailure] = useState<OrderingOnFailure>(webhook.orderingOnFailure);
  const [revealed, setRevealed] = useState(false);
  const save = useAction();
  const reveal = useAction();
  const toggle = (name: EventName, on: boolean) =>
    setSubscriptions((s) => (on ? [...s.filter((x) => x !== name), name] : s.filter((x) => x !== name)));
  const submit = (event: Event) => {
    event.preventDefault();
    void save.run(async () => {
      // A full replace needs the real header values: unrevealed, unchanged ones are read back just for the save.
      let values = headers;
      if (headers.some((h) => h.value === MASK)) {
        const real = (await api.getWebhook(webhook.id, true)).webhook.headers;
        values = headers.map((h) =>
          h.value === MASK && h.name in real ? { ...h, value: real[h.name] ?? "" } : h,
        );
      }
      const input: WebhookInput = {
        url: url.trim(),
        subscriptions,
        attributes: mapOf(attributes),
        headers: mapOf(values),
        disabled: webhook.disabled,
        ordering,
        orderingOnFailure: onFailure,
      };
      await api.replaceWebhook(webhook.id, input, etag);
      onSaved();
    });
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="edit-title">
      <h2 id="edit-title">Settings</h2>
      <div class="field">
        <label for="wh-url">URL</label>
        <input id="wh-url" type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
      </div>
      <fieldset>
        <legend>Subscriptions</legend>
        {EVENT_NAMES.map((name) => (
          <label class="check" key={name}>
            <input
              type="checkbox"
              checked={subscriptions.includes(name)}
              onChange={(e) => toggle(name, e.currentTarget.checked)}
            />{" "}
            {name}
          </label>
        ))}
      </fieldset>
      <div class="filters">
        <div class="field">
          <label for="wh-ordering">Ordering</label>
          <select
            id="wh-ordering"
            value={ordering}
            onChange={(e) => setOrdering(e.currentTarget.value as Ordering)}
          >
            <option value="none">None</option>
            <option value="per-subject">Per subject</option>
          </select>
        </div>
        <div class="field">
          <label for="wh-on-failure">When a subject's delivery runs out of retries</label>
          <select
            id="wh-on-failure"
            value={onFailure}
            disabled={ordering === "none"}
            onChange={(e) => setOnFailure(e.currentTarget.value as OrderingOnFailure)}
          >
            <option value="continue">Dead-letter it and go on</option>
            <option value="block">Hold the subject</option>
          </select>
        </div>
      </div>
      <PairsEditor legend="Attributes" idPrefix="attr" pairs={attributes} onChange={setAttributes} />
      <PairsEditor legend="Headers" idPrefix="hdr" pairs={headers} onChange={setHeaders} masked={!revealed} />
      {!revealed && headers.some((h) => h.value === MASK) && (
        <button
          type="button"
          class="secondary"
          disabled={reveal.busy}
          onClick={() =>
            void reveal.run(async () => {
              const real = (await api.getWebhook(webhook.id, true)).webhook.headers;
              setHeaders((hs) =>
                hs.map((h) => (h.value === MASK && h.name in real ? { ...h, value: real[h.name] ?? "" } : h)),
              );
              setRevealed(true);
            })
          }
        >
          Reveal header values
        </button>
      )}
      <Alert message={reveal.error ?? save.error} />
      <div class="actions">
        <button type="submit" disabled={save.busy}>
          {save.busy ? "Saving…" : "Save settings"}
        </button>
      </div>
    </form>
  );
};

export const WebhookScreen = ({ api, id }: { api: Api; id: string }) => {
  const [version, setVersion] = useState(0);
  const loaded = useLoad(() => api.getWebhook(id), [api, id, version]);
  const refresh = () => setVersion((v) => v + 1);
  const action = useAction();
  const [secret, setSecret] = useState<string | undefined>(undefined);
  const [pinged, setPinged] = useState<string | undefined>(undefined);
  const attempts = useLoad(() => api.deliveries(id, 20), [api, id, version]);
  const pingArrived = pinged !== undefined && (attempts.value ?? []).some((a) => a.deliveryId === pinged);
  useInterval(pinged !== undefined && !pingArrived, 1000, () => void attempts.reload());
  useEffect(() => setSecret(undefined), [id]);
  const w = loaded.value?.webhook;
  if (w === undefined)
    return (
      <section>
        <h1>Webhook</h1>
        <Alert message={loaded.error} />
        {loaded.loading && <Status>Loading…</Status>}
      </section>
    );
  const setDisabled = (disabled: boolean) =>
    action.run(async () => {
      const { webhook, etag } = await api.getWebhook(id, true);
      const { url, subscriptions, attributes, headers, ordering, orderingOnFailure } = webhook;
      const input = { url, subscriptions, attributes, headers, disabled, ordering, orderingOnFailure };
      await api.replaceWebhook(id, input, etag);
      refresh();
    });
  return (
    <section aria-labelledby="webhook-title">
      <p>
        <a href={href({ screen: "webhooks" })}>← All webhooks</a>
      </p>
      <h1 id="webhook-title" class="url">
        {w.url}
      </h1>
      <p class="muted">
        {w.id} · created {time(w.createdAt)} · changed {time(w.updatedAt)}
      </p>
      <p>
        <StateBadge disabled={w.disabled} reason={w.disabledReason} />
        {w.stateChangedAt !== undefined && <span class="muted"> since {time(w.stateChangedAt)}</span>}
      </p>
      <div class="actions">
        {w.disabled ? (
          <button type="button" disabled={action.busy} onClick={() => void setDisabled(false)}>
            Enable
          </button>
        ) : (
          <button type="button" class="danger" disabled={action.busy} onClick={() => void setDisabled(true)}>
            Disable
          </button>
        )}
        <button
          type="button"
          disabled={action.busy}
          onClick={() =>
            void action.run(async () => {
              setSecret((await api.rotateSecret(id)).secret);
              refresh();
            })
          }
        >
          Rotate secret
        </button>
        <button
          type="button"
          disabled={action.busy || w.disabled}
          onClick={() =>
            void action.run(async () => {
              setPinged((await api.ping(id)).deliveryId);
              void attempts.reload();
            })
          }
        >
          Send ping
        </button>
        <a class="button secondary" href={href({ screen: "log", id })}>
          Delivery log
        </a>
        {w.ordering === "per-subject" && (
          <a class="button secondary" href={href({ screen: "subjects", id })}>
            Held subjects
          </a>
        )}
        <a class="button secondary" href={href({ screen: "replays", id })}>
          Replays
        </a>
      </div>
      <Alert message={action.error} />
      {secret !== undefined && <SecretShownOnce secret={secret} onDone={() => setSecret(undefined)} />}
      {pinged !== undefined && (
        <Status>
          {pingArrived ? `Ping ${pinged} is in the log.` : `Ping ${pinged} sent; waiting for it in the log…`}
        </Status>
      )}
      <div class="columns">
        <HealthPanel api={api} id={id} version={version} />
        <Editor
          api={api}
          webhook={w}
          etag={loaded.value?.etag ?? ""}
          onSaved={refresh}
          key={`${w.updatedAt}`}
        />
      </div>
      <section aria-labelledby="recent-title" class="panel">
        <h2 id="recent-title">Recent attempts</h2>
        <Alert message={attempts.error} />
        <AttemptsTable attempts={attempts.value ?? []} highlight={pinged} />
      </section>
    </section>
  );
};
