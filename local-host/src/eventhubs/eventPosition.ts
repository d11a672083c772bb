import type { PartitionLog } from "./partitionLog";

export const SELECTOR_FILTER = "apache.org:selector-filter:string";

/** Where a receiver starts, from the selector filter the SDK sends (or the start of the log without one). */
export type StartPosition =
  | { readonly kind: "Offset"; readonly offset: string; readonly inclusive: boolean }
  | { readonly kind: "SequenceNumber"; readonly sequenceNumber: number; readonly inclusive: boolean }
  | { readonly kind: "EnqueuedTime"; readonly timeMs: number; readonly inclusive: boolean }
  | { readonly kind: "Earliest" };

const EXPRESSION =
  /^\s*amqp\.annotation\.(x-opt-offset|x-opt-sequence-number|x-opt-enqueued-time)\s*(>=|>)\s*'([^']*)'\s*$/i;

/** The filter's selector string: rhea gives described values as {descriptor, value} or the bare value. */
const selectorText = (filter: unknown): string | undefined => {
  if (typeof filter !== "object" || filter === null) return undefined;
  const entry: unknown = (filter as Record<string, unknown>)[SELECTOR_FILTER];
  if (typeof entry === "string") return entry;
  if (typeof entry === "object" && entry !== null && "value" in entry) {
    const value: unknown = entry.value;
    if (typeof value === "string") return value;
    if (typeof value === "object" && value !== null && "value" in value && typeof value.value === "string")
      return value.value;
  }
  return undefined;
};

/** Parses the filter; a filter that is present but not understood is an error (described in the message). */
export const parseStartPosition = (filter: unknown): StartPosition | Error => {
  if (filter === undefined || filter === null) return { kind: "Earliest" };
  const text = selectorText(filter);
  if (text === undefined) return { kind: "Earliest" };
  const match = EXPRESSION.exec(text);
  const [, field, operator, value] = match ?? [];
  if (field === undefined || value === undefined) return new Error(`unsupported selector filter: ${text}`);
  const inclusive = operator === ">=";
  switch (field.toLowerCase()) {
    case "x-opt-offset":
      return { kind: "Offset", offset: value, inclusive };
    case "x-opt-sequence-number":
      return /^-?\d+$/.test(value)
        ? { kind: "SequenceNumber", sequenceNumber: Number(value), inclusive }
        : new Error(`sequence number '${value}' is not an integer`);
    default:
      return /^-?\d+$/.test(value)
        ? { kind: "EnqueuedTime", timeMs: Number(value), inclusive }
        : new Error(`enqueued time '${value}' is not milliseconds since the epoch`);
  }
};

/** Index in the log of the first event a receiver with this start position gets. */
export const startIndex = (log: PartitionLog, position: StartPosition): number => {
  switch (position.kind) {
    case "Earliest":
      return 0;
    case "Offset": {
      if (position.offset === "@latest") return log.length;
      if (position.offset === "-1") return 0;
      const offset = Number(position.offset);
      return log.firstIndexWhere((e) => (position.inclusive ? e.offset >= offset : e.offset > offset));
    }
    case "SequenceNumber": {
      const first = position.inclusive ? position.sequenceNumber : position.sequenceNumber + 1;
      return Math.min(Math.max(first, 0), log.length);
    }
    case "EnqueuedTime":
      return log.firstIndexWhere((e) =>
        position.inclusive ? e.enqueuedTimeMs >= position.timeMs : e.enqueuedTimeMs > position.timeMs,
      );
    default: {
      const unexpected: never = position;
      return unexpected;
    }
  }
};
