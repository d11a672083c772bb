import { useState } from "preact/hooks";

import { type Api, type Recovery } from "../api";
import { time } from "../format";
import { useAction } from "../hooks";
import { Alert, Status } from "../widgets";

/** How often a running recovery's state is read. */
const FOLLOW_MS = 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const progress = (r: Recovery): string =>
  r.state === "running"
    ? `Recovering ${r.count} dead letters since ${time(r.since)}: ${r.handedOver} of ${r.count} handed over.`
    : r.state === "completed"
      ? `Recovery completed: ${r.handedOver} of ${r.count} dead letters handed over.`
      : `Recovery failed after ${r.handedOver} of ${r.count}: ${r.reason ?? "see the API"}.`;

/**
 * "Recover since": re-delivers the chosen webhook's dead letters dead-lettered since a time (UTC, as every time
 * the console shows), following the recovery in the status region until it is done, then `onDone` (reload).
 */
export const RecoverSince = ({
  api,
  webhookId,
  onDone,
}: {
  api: Api;
  webhookId: string;
  onDone: () => void;
}) => {
  const [since, setSince] = useState("");
  const [status, setStatus] = useState<string | undefined>(undefined);
  const action = useAction();
  const recover = () =>
    action.run(async () => {
      setStatus(undefined);
      let r = await api.recover(webhookId, new Date(`${since}:00Z`).toISOString());
      setStatus(progress(r));
      while (r.state === "running") {
        await sleep(FOLLOW_MS);
        r = await api.recovery(webhookId, r.id);
        setStatus(progress(r));
      }
      onDone();
    });
  return (
    <form
      class="filters"
      aria-label="Recover dead letters since a time"
      onSubmit={(e) => {
        e.preventDefault();
        void recover();
      }}
    >
      <div class="field">
        <label for="dl-recover-since">Recover since (UTC)</label>
        <input
          id="dl-recover-since"
          type="datetime-local"
          required
          value={since}
          onInput={(e) => setSince(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <button type="submit" disabled={action.busy || since === ""}>
          Recover
        </button>
      </div>
      <Alert message={action.error} />
      {status !== undefined && <Status>{status}</Status>}
    </form>
  );
};
