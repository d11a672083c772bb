import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { type RunningEventHubsEmulator, startEventHubsEmulator } from "./index";
import { Clients, collect, earliestEventPosition } from "./testClients";

describe("Event Hubs endpoint persistence", () => {
  let dataDir: string;
  let running: Array<{ emulator: RunningEventHubsEmulator; clients: Clients }> = [];

  const start = async () => {
    const emulator = await startEventHubsEmulator({ port: 0, dataDir });
    const clients = new Clients(emulator);
    running.push({ emulator, clients });
    return { emulator, clients };
  };
  const stopAll = async () => {
    for (const { emulator, clients } of running.splice(0)) {
      await clients.closeAll();
      await emulator.stop();
    }
  };

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "local-eventhubs-"));
    running = [];
  });
  afterEach(async () => {
    await stopAll();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps events across stop and start; sequence numbers and offsets continue", async () => {
    const first = await start();
    const producer = first.clients.producer();
    await producer.sendBatch([{ body: "a" }, { body: "b" }], { partitionId: "1" });
    const before = await producer.getPartitionProperties("1");
    await stopAll();

    const second = await start();
    const again = second.clients.producer();
    expect(await again.getPartitionProperties("1")).toMatchObject({
      lastEnqueuedSequenceNumber: before.lastEnqueuedSequenceNumber,
      lastEnqueuedOffset: before.lastEnqueuedOffset,
    });
    await again.sendBatch([{ body: "c" }], { partitionId: "1" });
    const consumer = second.clients.consumer();
    const { done, subscription } = collect(
      (handlers) => consumer.subscribe("1", handlers, { startPosition: earliestEventPosition }),
      before.lastEnqueuedSequenceNumber + 2,
    );
    const events = await done;
    await subscription.close();
    expect(events.map((e): unknown => e.body)).toEqual(["a", "b", "c"]);
    expect(events.map((e) => e.sequenceNumber)).toEqual(events.map((_, i) => i));
    const offsets = events.map((e) => Number(e.offset));
    expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    expect(new Set(offsets).size).toBe(offsets.length);
  });

  it("cuts off a torn record at a file's tail and goes on appending", async () => {
    const first = await start();
    await first.clients.producer().sendBatch([{ body: "whole" }], { partitionId: "0" });
    await stopAll();
    appendFileSync(join(dataDir, "io-events", "0.log"), Buffer.from([0, 0, 0, 50, 1, 2, 3]));

    const second = await start();
    const producer = second.clients.producer();
    expect((await producer.getPartitionProperties("0")).lastEnqueuedSequenceNumber).toBe(0);
    await producer.sendBatch([{ body: "next" }], { partitionId: "0" });
    await stopAll();

    const third = await start();
    const consumer = third.clients.consumer();
    const { done, subscription } = collect(
      (handlers) => consumer.subscribe("0", handlers, { startPosition: earliestEventPosition }),
      2,
    );
    const events = await done;
    await subscription.close();
    expect(events.map((e): unknown => e.body)).toEqual(["whole", "next"]);
  });
});
