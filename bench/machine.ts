import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

export interface Machine {
  readonly nproc: number;
  readonly memoryMb: number;
  readonly node: string;
  readonly cpuModel: string;
  /** 1-minute load average when the run started: other work on the machine skews every number here. */
  readonly loadAverage: number;
}

export const machine = (): Machine => {
  let cpuModel = os.cpus()[0]?.model ?? "unknown";
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (match?.[1] !== undefined) cpuModel = match[1].trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    nproc: os.availableParallelism(),
    memoryMb: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    cpuModel,
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
  };
};

/** The commit measured, with "+dirty" when the worktree has changes outside bench/. */
export const commitMeasured = (cwd: string): string => {
  try {
    const head = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", ".", ":!bench", ":!BENCHMARKS.md"], {
      cwd,
      encoding: "utf8",
    }).trim();
    return dirty === "" ? head : `${head}+dirty`;
  } catch {
    return "unknown";
  }
};
