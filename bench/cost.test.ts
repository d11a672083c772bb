import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

import { type CostResult, TIME_OR_SIZE_BASED } from "./cost";

/**
 * The cost bench counts exactly: two small runs of the same workloads (3 webhooks, 2 batches each, in their own
 * runtimes) give the same counters, apart from bytes and clock-driven work (TIME_OR_SIZE_BASED). Runs the bench
 * in child processes through its require hook, against the built app (dist/), as `npm run bench` does.
 */
jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, "..");

const costRun = async (): Promise<CostResult[]> => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      "-r",
      path.join(ROOT, "dist", "bench", "register.js"),
      path.join(ROOT, "bench", "costCheck.ts"),
      "3",
      "2",
    ],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as CostResult[];
};

const exact = (r: CostResult): Record<string, number> =>
  Object.fromEntries(Object.entries(r.counters).filter(([k]) => !TIME_OR_SIZE_BASED.test(k)));

describe("the cost bench", () => {
  it("counts the same twice, and what it counts is the work the workload implies", async () => {
    const first = await costRun();
    const second = await costRun();
    // Every batch received whole and delivered within its second (a loaded machine may need reruns: `runs`).
    expect([...first, ...second].map((r) => r.asPlanned)).toEqual(Array(6).fill(true));
    expect(second.map(exact)).toEqual(first.map(exact));
    const [single, mix, retries] = first;
    // The ingest delivers each Event Hubs batch itself (its first round) and, all of it delivered, starts nothing.
    for (const r of [single!, mix!]) {
      expect(r.counters["durable.orchestrationsStarted"] ?? 0).toBe(0);
      expect(r.counters["durable.activitiesScheduled"] ?? 0).toBe(0);
      expect(r.counters["eventhubs.batchesReceived"]).toBe(2);
      expect(r.counters["blob.setMetadata[checkpoint]"]).toBe(2);
    }
    expect(single!.deliveries).toBe(200);
    expect(mix!.deliveries).toBe(360);
    // Retries: every 5th delivery fails once, so each batch starts an orchestration with only those deliveries,
    // which waits on a timer and retries them in one deliver activity.
    expect(retries!.requests).toBe(240);
    expect(retries!.counters["durable.orchestrationsStarted"]).toBe(2);
    expect(retries!.counters["durable.orchestrationsCompleted"]).toBe(2);
    expect(retries!.counters["durable.timersCreated"]).toBe(2);
    expect(retries!.counters["durable.activitiesScheduled"]).toBe(2);
    // Bytes vary with digits only.
    const bytes = (r: CostResult) => r.counters["storage.requestBytes[table]"] ?? 0;
    expect(Math.abs(bytes(second[0]!) - bytes(single!)) / bytes(single!)).toBeLessThan(0.02);
  });
});
