import { type ComponentChildren } from "preact";

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
