import { useState } from "preact/hooks";

import { type Api, type RejectedEvent } from "../api";
import { time } from "../format";
import { useAction, useLoad } from "../hooks";
import { Alert, Cell, Status } from "../widgets";

const keyOf = (e: Pick<RejectedEvent, "hub" | "partitionId" | "sequenceNumber">) =>
  `${e.hub}/${e.partitionId}/${e.sequenceNumber}`;

/**
 * Events that did not decode. The raw body may hold personal data: it is fetched only when the operator asks
 * for one event's, and shown as text.
 */
export const RejectedScreen = ({ api }: { api: Api }) => {
  const [partitionId, setPartitionId] = useState("");
  const [applied, setApplied] = useState("");
  const events = useLoad(
    () => api.rejected({ partitionId: applied === "" ? undefined : applied }),
    [api, applied],
  );
  const [raw, setRaw] = useState<Readonly<Record<string, string>>>({});
  const reveal = useAction();
  const showRaw = (event: RejectedEvent) =>
    reveal.run(async () => {
      const all = await api.rejected({ partitionId: event.partitionId, reveal: true });
      const found = all.find((e) => keyOf(e) === keyOf(event));
      setRaw((r) => ({ ...r, [keyOf(event)]: found?.raw ?? "(no longer listed)" }));
    });
  return (
    <section aria-labelledby="rejected-title">
      <div class="title-row">
        <h1 id="rejected-title">Rejected events</h1>
        <button
          type="button"
          class="secondary"
          onClick={() => void events.reload()}
          disabled={events.loading}
        >
          Refresh
        </button>
      </div>
      <form
        class="filters"
        aria-label="Filter rejected events"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(partitionId.trim());
        }}
      >
        <div class="field">
          <label for="rej-partition">Partition</label>
          <input
            id="rej-partition"
            inputMode="numeric"
            value={partitionId}
            onInput={(e) => setPartitionId(e.currentTarget.value)}
          />
        </div>
        <button type="submit" class="secondary">
          Apply
        </button>
      </form>
      <Alert message={events.error ?? reveal.error} />
      {events.value !== undefined && (
        <Status>{events.value.length} rejected events (newest 200 per query)</Status>
      )}
      <div class="table-wrap">
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">Hub / partition</th>
              <th scope="col">Sequence number</th>
              <th scope="col">Enqueued</th>
              <th scope="col">Reasons</th>
              <th scope="col">Raw body</th>
            </tr>
          </thead>
          <tbody>
            {(events.value ?? []).map((e) => (
              <tr key={keyOf(e)}>
                <Cell label="Hub / partition">
                  {e.hub} / {e.partitionId}
                </Cell>
                <Cell label="Sequence number">{String(e.sequenceNumber)}</Cell>
                <Cell label="Enqueued">{time(e.enqueuedTime)}</Cell>
                <Cell label="Reasons">
                  <ul class="plain">
                    {e.reasons.map((r, i) => (
                      <li key={i}>{r}</li>
                    ))}
                  </ul>
                </Cell>
                <Cell label="Raw body">
                  {raw[keyOf(e)] === undefined ? (
                    <button
                      type="button"
                      class="small secondary"
                      disabled={reveal.busy}
                      aria-label={`Show the raw body of ${e.partitionId}/${e.sequenceNumber}`}
                      onClick={() => void showRaw(e)}
                    >
                      Show raw body
                    </button>
                  ) : (
                    <pre>{raw[keyOf(e)]}</pre>
                  )}
                </Cell>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
};
