import { readdirSync, readFileSync } from "node:fs";

/** Resident memory of a process tree, read from /proc (Linux): VmRSS of the root and every descendant. */

const vmRssKb = (pid: number): number => {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match?.[1] === undefined ? 0 : Number(match[1]);
  } catch {
    return 0; // the process exited between listing and reading
  }
};

const childrenOf = (pid: number): ReadonlyArray<number> => {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, "utf8")
        .split(" ")
        .filter((s) => s.trim() !== "")
        .map(Number),
    );
  } catch {
    return [];
  }
};

/** The pids of `root` and all its descendants. */
export const processTree = (root: number): ReadonlyArray<number> => {
  const seen: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (seen.includes(pid)) continue;
    seen.push(pid);
    queue.push(...childrenOf(pid));
  }
  return seen;
};

/** VmRSS of one process in MB. */
export const processRssMb = (pid: number): number => vmRssKb(pid) / 1024;

/** Summed VmRSS of the tree in MB. */
export const treeRssMb = (root: number): number =>
  processTree(root).reduce((sum, pid) => sum + vmRssKb(pid), 0) / 1024;

export interface RssPeak {
  /** The highest summed RSS of the tree. */
  readonly totalMb: number;
  /** The highest RSS of the root process (the runtime) and of its descendants (Azurite), each on its own. */
  readonly rootMb: number;
  readonly childrenMb: number;
}

export interface RssSampler {
  peakMb(): number;
  peak(): RssPeak;
  /** Starts a new peak (for one phase). */
  reset(): void;
  stop(): void;
}

const sampleTree = (root: number): RssPeak => {
  const [first, ...rest] = processTree(root).map((pid) => vmRssKb(pid) / 1024);
  const rootMb = first ?? 0;
  const childrenMb = rest.reduce((sum, mb) => sum + mb, 0);
  return { totalMb: rootMb + childrenMb, rootMb, childrenMb };
};

const maxPeak = (a: RssPeak, b: RssPeak): RssPeak => ({
  totalMb: Math.max(a.totalMb, b.totalMb),
  rootMb: Math.max(a.rootMb, b.rootMb),
  childrenMb: Math.max(a.childrenMb, b.childrenMb),
});

/** Samples the tree's RSS every `intervalMs` and keeps the peaks. */
export const sampleRss = (root: number, intervalMs = 200): RssSampler => {
  let peak = sampleTree(root);
  const timer = setInterval(() => {
    peak = maxPeak(peak, sampleTree(root));
  }, intervalMs);
  timer.unref();
  return {
    peakMb: () => peak.totalMb,
    peak: () => peak,
    reset: () => {
      peak = sampleTree(root);
    },
    stop: () => clearInterval(timer),
  };
};

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
export const cpuSeconds = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields after the command: state is index 0, utime index 11, stime index 12 (clock ticks, 100 per second).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
};

/** CPU seconds per process of the tree (root first), for splitting a phase's cost between runtime and Azurite. */
export const treeCpu = (root: number): ReadonlyArray<{ pid: number; cpuSeconds: number }> =>
  processTree(root).map((pid) => ({ pid, cpuSeconds: cpuSeconds(pid) }));
