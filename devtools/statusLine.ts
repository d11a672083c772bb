import { type CliIo } from "./cliArgs";

/**
 * One status line on stderr for long work: rewritten in place on a terminal, otherwise a new line only when its
 * text changed (a CI log stays short). `end` moves a terminal past the line once something was shown.
 */
export interface StatusLine {
  readonly show: (text: string) => void;
  readonly end: () => void;
}

export const statusLine = (io: CliIo): StatusLine => {
  let last: string | undefined;
  return {
    show(text) {
      if (io.errIsTty) io.err(`\r${text}\x1b[K`);
      else if (text !== last) io.err(`${text}\n`);
      last = text;
    },
    end() {
      if (io.errIsTty && last !== undefined) io.err("\n");
      last = undefined;
    },
  };
};
