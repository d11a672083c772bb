import { GroupCommitter, type KeyedRow } from "./groupCommit";

const row = (partitionKey: string, rowKey: string): KeyedRow => ({ partitionKey, rowKey });

/** A submit function that records each transaction and lets the test decide when (and how) each one ends. */
const recordingSubmit = () => {
  const calls: Array<{ partitionKey: string; rows: readonly KeyedRow[]; finish: (error?: Error) => void }> =
    [];
  const submit = (partitionKey: string, rows: readonly KeyedRow[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      calls.push({
        partitionKey,
        rows,
        finish: (error) => (error === undefined ? resolve() : reject(error)),
      });
    });
  return { calls, submit };
};

const settled = async <T>(p: Promise<T>): Promise<"resolved" | "rejected" | "pending"> =>
  Promise.race([
    p.then(
      () => "resolved" as const,
      () => "rejected" as const,
    ),
    new Promise<"pending">((resolve) => setImmediate(() => resolve("pending"))),
  ]);

describe("GroupCommitter", () => {
  it("flushes an idle writer at once, and combines what arrives during a flush into one transaction per partition", async () => {
    const { calls, submit } = recordingSubmit();
    const committer = new GroupCommitter(submit);
    const first = committer.write([row("a", "1")]);
    expect(calls).toHaveLength(1);
    const second = committer.write([row("a", "2"), row("b", "1")]);
    const third = committer.write([row("a", "3")]);
    expect(calls).toHaveLength(1);
    calls[0]?.finish();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.slice(1).map((c) => [c.partitionKey, c.rows.map((r) => r.rowKey)])).toEqual([
      ["a", ["2", "3"]],
      ["b", ["1"]],
    ]);
    expect(await settled(second)).toBe("pending");
    calls[1]?.finish();
    expect(await settled(third)).toBe("resolved");
    expect(await settled(second)).toBe("pending");
    calls[2]?.finish();
    expect(await settled(second)).toBe("resolved");
  });

  it("cuts a partition into transactions of at most 100 rows, and never puts one row key twice in one", async () => {
    const submitted: Array<readonly KeyedRow[]> = [];
    const committer = new GroupCommitter((_, rows: readonly KeyedRow[]) => {
      submitted.push(rows);
      return Promise.resolve();
    });
    const rows = Array.from({ length: 250 }, (_, i) => row("p", String(i)));
    await committer.write([...rows, row("p", "249")]);
    expect(submitted.map((t) => t.length)).toEqual([100, 100, 50, 1]);
    expect(submitted.flat()).toHaveLength(251);
  });

  it("rejects only the callers with a row in a failed transaction", async () => {
    const { calls, submit } = recordingSubmit();
    const committer = new GroupCommitter(submit);
    const blocker = committer.write([row("x", "0")]);
    const good = committer.write([row("a", "1")]);
    const bad = committer.write([row("a", "2"), row("b", "1")]);
    calls[0]?.finish();
    await blocker;
    await new Promise((resolve) => setImmediate(resolve));
    calls.find((c) => c.partitionKey === "a")?.finish();
    calls.find((c) => c.partitionKey === "b")?.finish(new Error("partition b is down"));
    expect(await settled(good)).toBe("resolved");
    await expect(bad).rejects.toThrow("partition b is down");
  });

  it("keeps going after a failed flush and resolves an empty write at once", async () => {
    let fail = true;
    const committer = new GroupCommitter(() =>
      fail ? Promise.reject(new Error("down")) : Promise.resolve(),
    );
    await expect(committer.write([row("a", "1")])).rejects.toThrow("down");
    fail = false;
    await expect(committer.write([row("a", "1")])).resolves.toBeUndefined();
    await expect(committer.write([])).resolves.toBeUndefined();
  });
});
