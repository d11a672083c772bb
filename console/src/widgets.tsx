import { type ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

/** An error for the operator, announced by screen readers. Its text is the API's problem title, as text. */
export const Alert = ({ message }: { message: string | undefined }) =>
  message === undefined ? null : (
    <p class="alert" role="alert">
      {message}
    </p>
  );

export const Status = ({ children }: { children: ComponentChildren }) => (
  <p class="status" role="status">
    {children}
  </p>
);

export const StateBadge = ({ disabled, reason }: { disabled: boolean; reason?: string | undefined }) => (
  <span class={disabled ? "badge badge-off" : "badge badge-on"}>
    {disabled ? `disabled${reason === undefined ? "" : `: ${reason}`}` : "active"}
  </span>
);

/** A labelled cell: on a narrow screen the table's rows become cards and the label shows beside each value. */
export const Cell = ({ label, children }: { label: string; children: ComponentChildren }) => (
  <td data-label={label}>
    <div>{children}</div>
  </td>
);

/**
 * A destructive action that asks first: the button turns into "Confirm" and "Cancel" (in the page, not a
 * browser dialog), and the confirm button takes the focus so the keyboard goes on from there.
 */
export const ConfirmButton = (props: {
  label: string;
  confirmLabel: string;
  /** What the action acts on, for the buttons' accessible names ("Delete msg_1", "Confirm delete msg_1"). */
  target: string;
  /** The text of the button that steps back ("Cancel" unless said: a Cancel action steps back otherwise). */
  dismissLabel?: string;
  disabled?: boolean;
  onConfirm: () => void;
}) => {
  const [asking, setAsking] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirm.current?.focus();
  }, [asking]);
  if (!asking)
    return (
      <button
        type="button"
        class="small secondary"
        disabled={props.disabled}
        aria-label={`${props.label} ${props.target}`}
        onClick={() => setAsking(true)}
      >
        {props.label}
      </button>
    );
  return (
    <>
      <button
        type="button"
        class="small danger"
        ref={confirm}
        disabled={props.disabled}
        aria-label={`${props.confirmLabel} ${props.target}`}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {props.confirmLabel}
      </button>
      <button
        type="button"
        class="small secondary"
        aria-label={
          props.dismissLabel === undefined
            ? `Cancel ${props.label.toLowerCase()} ${props.target}`
            : `${props.dismissLabel} ${props.target}`
        }
        onClick={() => setAsking(false)}
      >
        {props.dismissLabel ?? "Cancel"}
      </button>
    </>
  );
};
