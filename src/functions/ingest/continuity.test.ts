import { FOLLOW_WINDOW_MS, makeBatchContinuity } from "./continuity";

describe("batch continuity (which batch may skip the exists check)", () => {
  it("counts a batch as following only right after the last one this process ingested on that partition", () => {
    const c = makeBatchContinuity();
    // The first batch after a start: checked.
    expect(c.begin("hub/0", 100, 0)).toBe(false);
    c.done("hub/0", 199, 10);
    // Directly after it, soon: follows.
    expect(c.begin("hub/0", 200, 20)).toBe(true);
    c.done("hub/0", 249, 30);
    // Another partition knows nothing of this one.
    expect(c.begin("hub/1", 250, 30)).toBe(false);
    // A gap (events another process may have taken), an overlap (a redelivery): checked.
    expect(c.begin("hub/0", 260, 40)).toBe(false);
    c.done("hub/0", 299, 50);
    expect(c.begin("hub/0", 280, 60)).toBe(false);
    c.done("hub/0", 299, 70);
    // After a pause longer than the window (ownership could have moved and come back): checked.
    expect(c.begin("hub/0", 300, 70 + FOLLOW_WINDOW_MS + 1)).toBe(false);
  });

  it("with a window of 0, counts nothing as following (every batch is checked)", () => {
    const c = makeBatchContinuity(0);
    c.begin("hub/0", 0, 0);
    c.done("hub/0", 99, 0);
    expect(c.begin("hub/0", 100, 0)).toBe(false);
  });

  it("never counts a retry of an attempt that did not succeed as following, even when the first one did", () => {
    const c = makeBatchContinuity();
    c.begin("hub/0", 0, 0);
    c.done("hub/0", 99, 0);
    expect(c.begin("hub/0", 100, 10)).toBe(true);
    // That attempt failed (it may have started its orchestration): the retry of the same batch is checked.
    expect(c.begin("hub/0", 100, 20)).toBe(false);
    c.done("hub/0", 199, 30);
    expect(c.begin("hub/0", 200, 40)).toBe(true);
  });
});
