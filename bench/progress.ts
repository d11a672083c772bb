/**
 * A progress bar on stderr: rewritten in place on a TTY, plain lines otherwise (at most one per 10% or 5 s), so a
 * CI log stays short.
 */
export interface Progress {
  update(done: number, detail?: string): void;
  done(summary: string): void;
}

const BAR = 28;

export const progress = (label: string, total: number, stream = process.stderr): Progress => {
  const tty = stream.isTTY === true;
  let lastPlainAt = 0;
  let lastPlainTenth = -1;
  const line = (done: number, detail: string): string => {
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(fraction * BAR);
    const bar = "#".repeat(filled) + "-".repeat(BAR - filled);
    return `${label.padEnd(22)} [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ${done}/${total}${detail === "" ? "" : "  " + detail}`;
  };
  return {
    update(done, detail = "") {
      if (tty) {
        stream.write(`\r\x1b[2K${line(done, detail)}`);
        return;
      }
      const tenth = total > 0 ? Math.floor((done / total) * 10) : 0;
      const now = Date.now();
      if (tenth > lastPlainTenth || now - lastPlainAt >= 5000) {
        lastPlainTenth = tenth;
        lastPlainAt = now;
        stream.write(line(done, detail) + "\n");
      }
    },
    done(summary) {
      stream.write(`${tty ? "\r\x1b[2K" : ""}${label.padEnd(22)} ${summary}\n`);
    },
  };
};
