import { captureDurable, type Harness, startHarness } from "functions-local-host/testing";

import { purgeFinishedOrchestrations } from "./purge";

/**
 * The purge against the local host's durable runtime (history in Azurite) through durable-functions' own client:
 * finished orchestrations older than the age go, younger ones and unfinished ones stay.
 */
const shim = captureDurable((df) => {
  df.app.activity("work", { handler: () => "done" });
  df.app.orchestration("finishes", function* (context) {
    return (yield context.df.callActivity("work")) as string;
  });
  df.app.orchestration("waits", function* (context) {
    yield context.df.waitForExternalEvent("never");
  });
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness(shim);
});
afterAll(() => h.close());

const DAY = 86_400_000;

describe("purgeFinishedOrchestrations", () => {
  it("deletes finished orchestrations created more than the given days ago, never running ones", async () => {
    const done = [await h.client.startNew("finishes"), await h.client.startNew("finishes")];
    const waiting = await h.client.startNew("waits");
    const status = async (id: string) => (await h.client.getStatus(id)).runtimeStatus;
    for (let i = 0; i < 200; i++) {
      const all = await Promise.all([...done, waiting].map(status));
      if (all.join() === "Completed,Completed,Running") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    expect(await purgeFinishedOrchestrations(h.client, new Date(), 7)).toBe(0);
    expect(await status(done[0]!)).toBe("Completed");

    expect(await purgeFinishedOrchestrations(h.client, new Date(Date.now() + 8 * DAY), 7)).toBe(2);
    for (const id of done) await expect(h.client.getStatus(id)).rejects.toThrow();
    expect(await status(waiting)).toBe("Running");
    expect(await purgeFinishedOrchestrations(h.client, new Date(Date.now() + 8 * DAY), 7)).toBe(0);
  });
});
