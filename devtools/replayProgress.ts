import { type ReplayView } from "../src/domain/replay";
import { type CliIo, formatCount } from "./cliArgs";
import { statusLine } from "./statusLine";

/**
 * A replay's progress as one line on stderr: rewritten in place on a terminal, otherwise a new line only when it
 * changed (a CI log stays short). The API gives no estimate of the events in the window, so the bar is the
 * partitions that reached `to`, and the counts are shown as they are.
 */

const BAR = 20;

/** How many partitions reached `to`, of those the replay has listed so far (none before its first step). */
export const partitionsReached = (replay: ReplayView): { reached: number; total: number } => {
  const positions = Object.values(replay.partitions);
  return { reached: positions.filter((p) => p.finished).length, total: positions.length };
};

const bar = (reached: number, total: number): string => {
  const filled = total === 0 ? 0 : Math.round((reached / total) * BAR);
  return `[${"#".repeat(filled)}${"-".repeat(BAR - filled)}]`;
};

/** The counts of a replay, as the API names them. */
export const countsText = (replay: ReplayView): string => {
  const d = replay.deliveries;
  return [
    `read ${formatCount(replay.eventsRead)}`,
    `delivered ${formatCount(d.delivered)}`,
    `retried ${formatCount(d.retried)}`,
    `dead-lettered ${formatCount(d.deadLettered)}`,
    `dropped ${formatCount(d.dropped)}`,
  ].join(", ");
};

export const progressText = (replay: ReplayView): string => {
  const { reached, total } = partitionsReached(replay);
  const partitions = total === 0 ? "partitions not listed yet" : `${reached}/${total} partitions at to`;
  return `replay ${replay.id} ${replay.state} ${bar(reached, total)} ${partitions}; ${countsText(replay)}`;
};

/** Each partition: where it stands ("0 reached to at #41", "1 at #12", "2 not started"). */
export const partitionsText = (replay: ReplayView): string =>
  Object.entries(replay.partitions)
    .sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))
    .map(([id, p]) => {
      const at = p.sequenceNumber === undefined ? "" : ` at #${p.sequenceNumber}`;
      return p.finished
        ? `${id} reached to${at}`
        : p.sequenceNumber === undefined
          ? `${id} not started`
          : `${id}${at}`;
    })
    .join(", ");

export interface ProgressLine {
  readonly show: (replay: ReplayView) => void;
  /** Ends the line on a terminal (the next output starts on a fresh line). */
  readonly end: () => void;
}

export const progressLine = (io: CliIo): ProgressLine => {
  const line = statusLine(io);
  return { show: (replay) => line.show(progressText(replay)), end: line.end };
};
