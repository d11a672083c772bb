import { inPool } from "./pool";

describe("inPool", () => {
  it("runs every item once, never more than the limit at a time, with its index", async () => {
    const seen: Array<[string, number]> = [];
    let running = 0;
    let most = 0;
    await inPool(["a", "b", "c", "d", "e"], 2, async (item, i) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push([item, i]);
      running--;
    });
    expect(most).toBe(2);
    expect([...seen].sort()).toEqual([
      ["a", 0],
      ["b", 1],
      ["c", 2],
      ["d", 3],
      ["e", 4],
    ]);
  });

  it("does nothing for no items, and a failing item rejects the pool", async () => {
    await expect(inPool([], 3, () => Promise.reject(new Error("never")))).resolves.toBeUndefined();
    await expect(
      inPool([1, 2], 1, (n) => (n === 2 ? Promise.reject(new Error("two")) : Promise.resolve())),
    ).rejects.toThrow("two");
  });
});
