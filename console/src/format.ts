/** Display helpers. Everything here returns plain text; Preact renders it as text, never as HTML. */
import { type Counts, type DeliveryAttempt, type LastAttempt } from "./api";

/** "2026-03-01 12:00:05 UTC": one time zone for every operator, so a time read aloud means the same to all. */
export const time = (iso: string | undefined): string => {
  if (iso === undefined || iso === "") return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
};

export const rate = (counts: Counts | undefined): string =>
  counts?.successRate === undefined ? "no attempts" : `${(counts.successRate * 100).toFixed(1)}%`;

export const answer = (a: { status?: number; error?: string } | undefined): string =>
  a === undefined
    ? "—"
    : [a.status === undefined ? "" : `HTTP ${a.status}`, a.error ?? ""].filter((s) => s).join(" ");

export const lastAttempt = (a: LastAttempt | undefined): string =>
  a === undefined ? "never" : `${time(a.at)} · ${answer(a)}`;

export type StatusClass = "" | "2xx" | "3xx" | "4xx" | "5xx" | "error";

export const statusClassOf = (a: Pick<DeliveryAttempt, "status">): Exclude<StatusClass, ""> =>
  a.status === undefined ? "error" : (`${Math.floor(a.status / 100)}xx` as Exclude<StatusClass, "">);

export const entries = (map: Record<string, string>): string =>
  Object.entries(map)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ") || "—";
