import {
  type EventPosition,
  latestEventPosition,
  type PartitionContext,
  type ReceivedEventData,
} from "@azure/event-hubs";
import type { EventContext } from "rhea";

import { SEND_AHEAD } from "./receiverLink";
import {
  collect,
  earliestEventPosition,
  emulatorPerTest,
  rawConnection,
  sdkPartitionMapper,
  waitFor,
} from "./testClients";

const sdkMapper = sdkPartitionMapper();

describe("receiving from the Event Hubs endpoint", () => {
  const t = emulatorPerTest();

  const receive = async (partition: string, startPosition: EventPosition, count: number) => {
    const consumer = t.clients.consumer();
    const { done, subscription } = collect(
      (handlers) => consumer.subscribe(partition, handlers, { startPosition, maxBatchSize: 50 }),
      count,
    );
    const events = await done;
    await subscription.close();
    return events;
  };
  const bodies = (events: ReceivedEventData[]): unknown[] => events.map((e): unknown => e.body);

  it("starts at the offset, sequence number or enqueued time the client asks for", async () => {
    const producer = t.clients.producer();
    await producer.sendBatch(
      [0, 1, 2, 3, 4].map((n) => ({ body: n })),
      { partitionId: "0" },
    );
    const all = await receive("0", earliestEventPosition, 5);
    expect(bodies(all)).toEqual([0, 1, 2, 3, 4]);
    const third = all[2]!;
    expect(bodies(await receive("0", { offset: third.offset }, 2))).toEqual([3, 4]);
    expect(bodies(await receive("0", { offset: third.offset, isInclusive: true }, 3))).toEqual([2, 3, 4]);
    expect(bodies(await receive("0", { sequenceNumber: 2 }, 2))).toEqual([3, 4]);
    expect(bodies(await receive("0", { sequenceNumber: 2, isInclusive: true }, 3))).toEqual([2, 3, 4]);
    await producer.sendBatch([{ body: 5 }], { partitionId: "0" });
    const last = (await receive("0", earliestEventPosition, 6))[5]!;
    expect(bodies(await receive("0", { enqueuedOn: last.enqueuedTimeUtc.getTime() - 1 }, 1))).toEqual([5]);
  });

  it("from @latest delivers only events sent after the receiver attached", async () => {
    const producer = t.clients.producer();
    await producer.sendBatch([{ body: "old" }], { partitionId: "3" });
    const consumer = t.clients.consumer();
    const received: unknown[] = [];
    const subscription = consumer.subscribe(
      "3",
      {
        processEvents: (events) => Promise.resolve(void received.push(...bodies(events))),
        processError: () => Promise.resolve(),
      },
      { startPosition: latestEventPosition, maxWaitTimeInSeconds: 0.2 },
    );
    // The receiver attaches at a moment the test cannot see: keep sending until one new event arrives.
    for (let n = 0; received.length === 0 && n < 200; n++) {
      await producer.sendBatch([{ body: `new-${n}` }], { partitionId: "3" });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await subscription.close();
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((body) => typeof body === "string" && body.startsWith("new-"))).toBe(true);
  });

  it("routes keyed events to the partition the SDK's hash picks, always the same one", async () => {
    const producer = t.clients.producer();
    const keys = ["RSSMRA85T10A562S", "VRDGPP80A01H501X", "a", "", "citizen-42"];
    for (const key of keys) {
      await producer.sendBatch([{ body: key }], { partitionKey: key });
      await producer.sendBatch([{ body: key }], { partitionKey: key });
    }
    const byPartition = await Promise.all(
      ["0", "1", "2", "3"].map(async (id) => {
        const props = await producer.getPartitionProperties(id);
        return props.isEmpty ? [] : receive(id, earliestEventPosition, props.lastEnqueuedSequenceNumber + 1);
      }),
    );
    for (const key of keys) {
      const expected = String(sdkMapper.mapPartitionKeyToId(key, 4));
      const where = byPartition.flatMap((events, i) =>
        events.filter((e) => e.body === key).map(() => String(i)),
      );
      expect(where).toEqual([expected, expected]);
      expect(byPartition[Number(expected)]!.find((e) => e.body === key)?.partitionKey).toBe(key);
    }
  });

  it("never sends a receiver more events than its link credit", async () => {
    const producer = t.clients.producer();
    await producer.sendBatch(
      Array.from({ length: 10 }, (_, n) => ({ body: n })),
      { partitionId: "0" },
    );
    await producer.sendBatch([{ body: "marker" }], { partitionId: "1" });
    const connection = await rawConnection(t.emulator.port);
    try {
      const onA: unknown[] = [];
      const a = connection.open_receiver({
        source: { address: "io-events/ConsumerGroups/$default/Partitions/0" },
        credit_window: 0,
      });
      a.on("message", (ctx: EventContext) => onA.push(JSON.parse(String(ctx.message?.body.content))));
      a.add_credit(3);
      await waitFor(() => onA.length === 3);
      // Transfers on one connection arrive in order: once B's event is in, any excess for A would be too.
      const b = connection.open_receiver({
        source: { address: "io-events/ConsumerGroups/$default/Partitions/1" },
        credit_window: 0,
      });
      let marker = false;
      b.on("message", () => (marker = true));
      b.add_credit(1);
      await waitFor(() => marker);
      expect(onA).toEqual([0, 1, 2]);
      a.add_credit(4);
      await waitFor(() => onA.length >= 7);
      expect(onA).toEqual([0, 1, 2, 3, 4, 5, 6]);
    } finally {
      connection.close();
    }
  });

  it("sends a receiver that piled up credit while idle at most SEND_AHEAD past its latest grant", async () => {
    const producer = t.clients.producer();
    const connection = await rawConnection(t.emulator.port);
    try {
      const onA: unknown[] = [];
      const a = connection.open_receiver({
        source: { address: "io-events/ConsumerGroups/$default/Partitions/0" },
        credit_window: 0,
      });
      a.on("message", (ctx: EventContext) => onA.push(ctx.message?.body));
      // What the SDK consumer does while a partition is empty: 300 more credit on every poll.
      for (let poll = 0; poll < 20; poll++) {
        a.add_credit(300);
        await new Promise((resolve) => setImmediate(resolve)); // one flow frame per poll, as the SDK sends them
      }
      const markers = connection.open_receiver({
        source: { address: "io-events/ConsumerGroups/$default/Partitions/1" },
        credit_window: 0,
      });
      let marked = 0;
      markers.on("message", () => (marked += 1));
      // Transfers and frames on one connection keep their order: once a marker is in, so is everything before it.
      const roundTrip = async () => {
        const expected = marked + 1;
        await producer.sendBatch([{ body: "marker" }], { partitionId: "1" });
        markers.add_credit(1);
        await waitFor(() => marked === expected);
      };
      await roundTrip();
      await producer.sendBatch(
        Array.from({ length: 2000 }, (_, n) => ({ body: n })),
        { partitionId: "0" },
      );
      await waitFor(() => onA.length >= SEND_AHEAD);
      await roundTrip();
      expect(onA).toHaveLength(SEND_AHEAD);
      expect((a as unknown as { credit: number }).credit).toBe(6000 - SEND_AHEAD); // held back, not out of credit
      // A new grant opens the window again: by the grant or SEND_AHEAD, whichever is larger.
      a.add_credit(100);
      await waitFor(() => onA.length >= 2 * SEND_AHEAD);
      await roundTrip();
      expect(onA).toHaveLength(2 * SEND_AHEAD);
      a.add_credit(1500);
      await waitFor(() => onA.length >= 2000);
      expect(onA).toHaveLength(2000);
    } finally {
      connection.close();
    }
  });

  it("tells a receiver that tracks last-enqueued properties where the partition ends", async () => {
    const producer = t.clients.producer();
    await producer.sendBatch(
      [1, 2, 3].map((n) => ({ body: n })),
      { partitionId: "2" },
    );
    const consumer = t.clients.consumer();
    let partition: PartitionContext | undefined;
    const { done, subscription } = collect(
      (handlers) =>
        consumer.subscribe(
          "2",
          {
            ...handlers,
            processEvents: (events, context) => {
              partition = context;
              return handlers.processEvents(events, context);
            },
          },
          { startPosition: earliestEventPosition, trackLastEnqueuedEventProperties: true },
        ),
      3,
    );
    const events = await done;
    await subscription.close();
    expect(partition?.lastEnqueuedEventProperties).toMatchObject({
      sequenceNumber: 2,
      offset: events[2]?.offset,
      enqueuedOn: events[2]?.enqueuedTimeUtc,
    });
    expect(partition?.lastEnqueuedEventProperties?.retrievedOn?.getTime()).toBeGreaterThan(
      Date.now() - 60_000,
    );
    expect(events.map((e): unknown => e.body)).toEqual([1, 2, 3]);
  });
});
