import { closeSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { message } from "rhea";

import { PartitionLog } from "./partitionLog";

const event = (body: string): Buffer => message.encode({ body });

describe("PartitionLog", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "partition-log-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("numbers events, advances offsets by their size and keeps enqueued times monotonic", () => {
    const log = PartitionLog.open(undefined);
    log.append([event("a"), event("bb")], "k", 1000);
    log.append([event("c")], undefined, 900);
    expect([0, 1, 2].map((i) => log.at(i)?.sequenceNumber)).toEqual([0, 1, 2]);
    expect(log.at(1)?.offset).toBe(event("a").length);
    expect(log.at(2)?.enqueuedTimeMs).toBe(1000);
    expect(log.properties()).toEqual({
      beginningSequenceNumber: 0,
      lastSequenceNumber: 2,
      lastOffset: String(event("a").length + event("bb").length),
      lastEnqueuedTimeMs: 1000,
      isEmpty: false,
    });
  });

  it("stores all of a batch or none of it", () => {
    const log = PartitionLog.open(undefined);
    expect(() => log.append([event("ok"), Buffer.from([0x00, 0x53])], undefined, 1)).toThrow();
    expect(log.length).toBe(0);
    log.append([event("ok")], undefined, 1);
    expect(log.at(0)?.offset).toBe(0);
  });

  it("replays its file on open, with the same sequence numbers, offsets, times and keys", async () => {
    const path = join(dir, "0.log");
    const first = PartitionLog.open(path);
    first.append([event("a"), event("b")], "key", 5);
    first.append([event("c")], undefined, 6);
    await first.close();
    const second = PartitionLog.open(path);
    expect([0, 1, 2].map((i) => second.at(i))).toEqual([0, 1, 2].map((i) => first.at(i)));
    await second.close();
    expect(readFileSync(path).length).toBeGreaterThan(0);
  });

  it("rejects a transfer it cannot write, storing none of its events, and reports it once", async () => {
    const path = join(dir, "failing.log");
    const errors = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const log = PartitionLog.open(path);
    log.append([event("a")], undefined, 1);
    // The file descriptor goes bad behind the log's back (as a disk that fails would make writes fail).
    closeSync((log as unknown as { file: { fd: number } }).file.fd);
    expect(() => log.append([event("b"), event("c")], undefined, 2)).toThrow();
    expect(() => log.append([event("d")], undefined, 3)).toThrow();
    expect(log.length).toBe(1);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining("failing.log cannot be written"));
    await log.close();
    errors.mockRestore();
    expect(PartitionLog.open(path).length).toBe(1);
  });

  it("has an accepted event in its file at once, before any flush or close", () => {
    const path = join(dir, "at-once.log");
    const log = PartitionLog.open(path);
    log.append([event("x")], "k", 5);
    // A second reader of the file sees it without the first log being closed (no buffering in the process).
    expect(PartitionLog.open(path).length).toBe(1);
  });
});
