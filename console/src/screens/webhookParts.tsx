import { useState } from "preact/hooks";

import { Status } from "../widgets";

/** The webhook detail's editing parts: name/value rows (headers masked) and the once-shown secret. */

export const MASK = "***";
export type Pair = { name: string; value: string };
export const pairsOf = (map: Record<string, string>): Pair[] =>
  Object.entries(map).map(([name, value]) => ({ name, value }));
export const mapOf = (pairs: Pair[]): Record<string, string> =>
  Object.fromEntries(pairs.filter((p) => p.name.trim() !== "").map((p) => [p.name.trim(), p.value]));

/** Name/value rows with add and remove; `secret` rows show their values masked unless revealed. */
export const PairsEditor = (props: {
  legend: string;
  idPrefix: string;
  pairs: Pair[];
  onChange: (pairs: Pair[]) => void;
  masked?: boolean;
}) => {
  const set = (i: number, change: Partial<Pair>) =>
    props.onChange(props.pairs.map((p, j) => (i === j ? { ...p, ...change } : p)));
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {props.pairs.length === 0 && <p class="muted">None.</p>}
      {props.pairs.map((pair, i) => (
        <div class="pair" key={i}>
          <label for={`${props.idPrefix}-name-${i}`}>Name</label>
          <input
            id={`${props.idPrefix}-name-${i}`}
            value={pair.name}
            onInput={(e) => set(i, { name: e.currentTarget.value })}
          />
          <label for={`${props.idPrefix}-value-${i}`}>Value</label>
          <input
            id={`${props.idPrefix}-value-${i}`}
            type={props.masked === true && pair.value === MASK ? "password" : "text"}
            value={pair.value}
            readOnly={props.masked === true && pair.value === MASK}
            onInput={(e) => set(i, { value: e.currentTarget.value })}
          />
          <button
            type="button"
            class="secondary"
            aria-label={`Remove ${props.legend.toLowerCase()} ${pair.name || String(i + 1)}`}
            onClick={() => props.onChange(props.pairs.filter((_, j) => j !== i))}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        class="secondary"
        onClick={() => props.onChange([...props.pairs, { name: "", value: "" }])}
      >
        Add {props.legend.toLowerCase().replace(/s$/, "")}
      </button>
    </fieldset>
  );
};

export const SecretShownOnce = ({ secret, onDone }: { secret: string; onDone: () => void }) => {
  const [copied, setCopied] = useState<string | undefined>(undefined);
  return (
    <div class="secret" role="region" aria-label="New signing secret">
      <p>
        <strong>New signing secret.</strong> It is shown only now: copy it to the receiver. The previous
        secret keeps signing during the grace period.
      </p>
      <label for="new-secret">Secret</label>
      <input id="new-secret" readOnly value={secret} onFocus={(e) => e.currentTarget.select()} />
      <div class="actions">
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard.writeText(secret).then(
              () => setCopied("Copied."),
              () => setCopied("Copy failed: select the text and copy it."),
            )
          }
        >
          Copy
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          Done, hide it
        </button>
      </div>
      {copied !== undefined && <Status>{copied}</Status>}
    </div>
  );
};
