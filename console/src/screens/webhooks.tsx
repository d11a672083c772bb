import { useState } from "preact/hooks";

import { type Api, type Webhook } from "../api";
import { entries, lastAttempt, rate } from "../format";
import { useLoad } from "../hooks";
import { href } from "../route";
import { Alert, Cell, StateBadge, Status } from "../widgets";

type StateFilter = "all" | "active" | "disabled";
type Sort = "failures" | "url";

const matchesText = (w: Webhook, text: string): boolean => {
  if (text === "") return true;
  const haystack = [w.id, w.url, ...w.subscriptions, entries(w.attributes), w.disabledReason ?? ""]
    .join(" ")
    .toLowerCase();
  return haystack.includes(text.toLowerCase());
};

const sorted = (items: Webhook[], sort: Sort): Webhook[] =>
  [...items].sort((a, b) =>
    sort === "url"
      ? a.url.localeCompare(b.url)
      : (b.health?.consecutiveFailures ?? 0) - (a.health?.consecutiveFailures ?? 0) ||
        (b.health?.last24Hours.failures ?? 0) - (a.health?.last24Hours.failures ?? 0) ||
        a.url.localeCompare(b.url),
  );

export const WebhooksScreen = ({ api }: { api: Api }) => {
  const webhooks = useLoad(() => api.listWebhooks(), [api]);
  const [state, setState] = useState<StateFilter>("all");
  const [text, setText] = useState("");
  const [sort, setSort] = useState<Sort>("failures");
  const shown = sorted(
    (webhooks.value ?? []).filter(
      (w) => (state === "all" || (state === "disabled") === w.disabled) && matchesText(w, text.trim()),
    ),
    sort,
  );
  return (
    <section aria-labelledby="webhooks-title">
      <div class="title-row">
        <h1 id="webhooks-title">Webhooks</h1>
        <button
          type="button"
          class="secondary"
          onClick={() => void webhooks.reload()}
          disabled={webhooks.loading}
        >
          Refresh
        </button>
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter webhooks">
        <div class="field">
          <label for="wh-state">State</label>
          <select
            id="wh-state"
            value={state}
            onChange={(e) => setState(e.currentTarget.value as StateFilter)}
          >
            <option value="all">All</option>
            <option value="active">Active</option>
            <option value="disabled">Disabled</option>
          </select>
        </div>
        <div class="field grow">
          <label for="wh-text">Search</label>
          <input
            id="wh-text"
            type="search"
            placeholder="URL, id, attribute, subscription"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="wh-sort">Sort by</label>
          <select id="wh-sort" value={sort} onChange={(e) => setSort(e.currentTarget.value as Sort)}>
            <option value="failures">Failures (most first)</option>
            <option value="url">URL</option>
          </select>
        </div>
      </form>
      <Alert message={webhooks.error} />
      {webhooks.value !== undefined && (
        <Status>
          {shown.length} of {webhooks.value.length} webhooks
        </Status>
      )}
      <div class="table-wrap">
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Subscriptions</th>
              <th scope="col">Attributes</th>
              <th scope="col">State</th>
              <th scope="col">Success (24 h)</th>
              <th scope="col">Consecutive failures</th>
              <th scope="col">Last failure</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((w) => (
              <tr
                key={w.id}
                class={w.health !== undefined && w.health.consecutiveFailures > 0 ? "failing" : ""}
              >
                <Cell label="URL">
                  <a href={href({ screen: "webhook", id: w.id })} class="url">
                    {w.url}
                  </a>
                  <span class="muted id">{w.id}</span>
                </Cell>
                <Cell label="Subscriptions">{w.subscriptions.join(", ")}</Cell>
                <Cell label="Attributes">{entries(w.attributes)}</Cell>
                <Cell label="State">
                  <StateBadge disabled={w.disabled} reason={w.disabledReason} />
                </Cell>
                <Cell label="Success (24 h)">
                  {rate(w.health?.last24Hours)}
                  {w.health !== undefined && w.health.last24Hours.deliveries > 0 && (
                    <span class="muted">
                      {" "}
                      ({w.health.last24Hours.failures}/{w.health.last24Hours.deliveries} failed)
                    </span>
                  )}
                </Cell>
                <Cell label="Consecutive failures">{String(w.health?.consecutiveFailures ?? 0)}</Cell>
                <Cell label="Last failure">{lastAttempt(w.health?.lastFailure)}</Cell>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
};
