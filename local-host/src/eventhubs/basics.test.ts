import { startEventHubsEmulator } from "./index";
import { Clients, collect, earliestEventPosition, emulatorPerTest, rawConnection } from "./testClients";

describe("Event Hubs endpoint with the SDK as client", () => {
  const t = emulatorPerTest();

  it("reports hub and partition properties through $management", async () => {
    const producer = t.clients.producer();
    const hub = await producer.getEventHubProperties();
    expect(hub.name).toBe("io-events");
    expect(hub.partitionIds).toEqual(["0", "1", "2", "3"]);
    expect(await producer.getPartitionIds()).toEqual(["0", "1", "2", "3"]);
    const empty = await producer.getPartitionProperties("2");
    expect(empty).toMatchObject({ partitionId: "2", isEmpty: true, lastEnqueuedSequenceNumber: -1 });
    await producer.sendBatch([{ body: "a" }, { body: "b" }], { partitionId: "2" });
    const filled = await producer.getPartitionProperties("2");
    expect(filled).toMatchObject({
      isEmpty: false,
      lastEnqueuedSequenceNumber: 1,
      beginningSequenceNumber: 0,
    });
    expect(filled.lastEnqueuedOnUtc.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it("delivers sent events with sequence numbers, offsets, enqueued times and properties", async () => {
    const producer = t.clients.producer();
    const batch = await producer.createBatch({ partitionId: "1" });
    batch.tryAdd({ body: { n: 1 }, properties: { kind: "ping", big: 2 ** 40 } });
    batch.tryAdd({ body: Buffer.from([1, 2, 3]) });
    await producer.sendBatch(batch);
    const consumer = t.clients.consumer();
    const { done, subscription } = collect(
      (handlers) => consumer.subscribe("1", handlers, { startPosition: earliestEventPosition }),
      2,
    );
    const events = await done;
    await subscription.close();
    expect(events.map((e) => e.sequenceNumber)).toEqual([0, 1]);
    expect(events[0]?.body).toEqual({ n: 1 });
    expect(events[0]?.properties).toEqual({ kind: "ping", big: 2 ** 40 });
    expect(Buffer.from(events[1]?.body as Uint8Array)).toEqual(Buffer.from([1, 2, 3]));
    expect(events[0]?.offset).toBe("0");
    expect(Number(events[1]?.offset)).toBeGreaterThan(0);
    expect(events[0]?.enqueuedTimeUtc.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it("stop closes connected clients and frees the port for a restart", async () => {
    const producer = t.clients.producer();
    await producer.sendBatch([{ body: 1 }]);
    const port = t.emulator.port;
    await t.emulator.stop();
    await expect(producer.getPartitionIds()).rejects.toBeDefined();
    t.emulator = await startEventHubsEmulator({ port });
    expect(t.emulator.port).toBe(port);
    const again = new Clients(t.emulator);
    try {
      expect(await again.producer().getPartitionIds()).toEqual(["0", "1", "2", "3"]);
    } finally {
      await again.closeAll();
    }
  });

  it.each([
    ["PLAIN with any user and password", { username: "someone", password: "anything" }],
    ["ANONYMOUS", { username: "anonymous" }],
    ["no SASL layer", {}],
  ])("accepts connections authenticated with %s", async (_, sasl) => {
    const connection = await rawConnection(t.emulator.port, sasl);
    expect(connection.is_open()).toBe(true);
    connection.close();
  });
});
