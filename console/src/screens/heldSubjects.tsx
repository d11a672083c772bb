import { useState } from "preact/hooks";

import { type Api, HELD_STATES, type HeldState, type HeldSubject, type SubjectAction } from "../api";
import { answer, time } from "../format";
import { useAction, useInterval, useLoad } from "../hooks";
import { href } from "../route";
import { Alert, Cell, ConfirmButton, Status } from "../widgets";

type StateFilter = "" | HeldState;

/** What the operator reads once the API took an action: 200 acted on a blocked head, 202 went to its holder. */
const outcome = (action: SubjectAction, subject: HeldSubject, status: number): string => {
  const what = `${action === "skip" ? "Skip" : "Retry now"} of subject ${subject.subjectId}`;
  const head = subject.headDeliveryId === undefined ? "" : ` (delivery ${subject.headDeliveryId})`;
  return status === 202 ? `${what}${head} accepted (HTTP 202).` : `${what}${head} done (HTTP ${status}).`;
};

const HeldBadge = ({ state }: { state: HeldState }) => (
  <span class={state === "blocked" ? "badge badge-off" : "badge"}>{state}</span>
);

/**
 * The held subjects of a per-subject webhook: those whose head waits on its retry schedule and those blocked
 * (retries ran out under orderingOnFailure "block"). Retry now sends the head again; Skip passes it.
 */
export const HeldSubjectsScreen = ({ api, id }: { api: Api; id: string }) => {
  const webhook = useLoad(() => api.getWebhook(id), [api, id]);
  const [state, setState] = useState<StateFilter>("");
  const subjects = useLoad(() => api.heldSubjects(id, state === "" ? undefined : state), [api, id, state]);
  const [auto, setAuto] = useState(false);
  useInterval(auto, 3000, () => void subjects.reload());
  const [done, setDone] = useState<string | undefined>(undefined);
  const action = useAction();
  const act = (subject: HeldSubject, what: SubjectAction) =>
    action.run(async () => {
      setDone(undefined);
      try {
        setDone(outcome(what, subject, await api.actOnSubject(id, subject.subjectId, what)));
      } finally {
        await subjects.reload();
      }
    });
  const w = webhook.value?.webhook;
  const items = subjects.value ?? [];
  return (
    <section aria-labelledby="held-title">
      <p>
        <a href={href({ screen: "webhook", id })}>← Webhook</a>
      </p>
      <div class="title-row">
        <h1 id="held-title">Held subjects</h1>
        <button
          type="button"
          class="secondary"
          onClick={() => void subjects.reload()}
          disabled={subjects.loading}
        >
          Refresh
        </button>
      </div>
      <p class="muted url">
        {w === undefined ? id : `${w.url} (${w.id})`}
        {w !== undefined && w.ordering !== "per-subject" && " · not ordered per subject: nothing is held"}
      </p>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter held subjects">
        <div class="field">
          <label for="held-state">State</label>
          <select
            id="held-state"
            value={state}
            onChange={(e) => setState(e.currentTarget.value as StateFilter)}
          >
            <option value="">All</option>
            {HELD_STATES.map((s) => (
              <option key={s} value={s}>
                {s === "waiting" ? "Waiting (retrying)" : "Blocked (retries ran out)"}
              </option>
            ))}
          </select>
        </div>
        <label class="check">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.currentTarget.checked)} />{" "}
          Auto-refresh (3 s)
        </label>
      </form>
      <Alert message={webhook.error ?? subjects.error ?? action.error} />
      <Status>{done ?? ""}</Status>
      {subjects.value !== undefined && items.length === 0 && <p class="muted">No held subjects.</p>}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="cards">
            <thead>
              <tr>
                <th scope="col">Subject id</th>
                <th scope="col">State</th>
                <th scope="col">Head delivery id</th>
                <th scope="col">Sequence</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last answer</th>
                <th scope="col">Next attempt</th>
                <th scope="col">Held since</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((s) => (
                <tr key={s.subjectId}>
                  <Cell label="Subject id">
                    <code>{s.subjectId}</code>
                  </Cell>
                  <Cell label="State">
                    <HeldBadge state={s.state} />
                  </Cell>
                  <Cell label="Head delivery id">
                    <code>{s.headDeliveryId ?? "—"}</code>
                  </Cell>
                  <Cell label="Sequence">{s.headSequence === undefined ? "—" : String(s.headSequence)}</Cell>
                  <Cell label="Attempts">{s.attempts === undefined ? "—" : String(s.attempts)}</Cell>
                  <Cell label="Last answer">{answer({ status: s.lastStatus, error: s.lastError })}</Cell>
                  <Cell label="Next attempt">
                    {s.state === "blocked" ? "none: blocked" : time(s.nextAttemptAt)}
                  </Cell>
                  <Cell label="Held since">{time(s.since)}</Cell>
                  <Cell label="Actions">
                    <div class="actions tight">
                      <button
                        type="button"
                        class="small"
                        disabled={action.busy}
                        aria-label={`Retry now ${s.subjectId}`}
                        onClick={() => void act(s, "retry-now")}
                      >
                        Retry now
                      </button>
                      <ConfirmButton
                        label="Skip"
                        confirmLabel="Confirm skip"
                        target={s.subjectId}
                        disabled={action.busy}
                        onConfirm={() => void act(s, "skip")}
                      />
                    </div>
                  </Cell>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
};
