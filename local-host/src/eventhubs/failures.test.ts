import { createConnection } from "node:net";

import { earliestEventPosition } from "@azure/event-hubs";
import { type EventContext, message } from "rhea";

import { startEventHubsEmulator } from "./index";
import { collect, emulatorPerTest, rawConnection, rheaFrames, waitFor } from "./testClients";

describe("failures at the Event Hubs endpoint", () => {
  const t = emulatorPerTest();

  it("answers an unknown hub, partition or consumer group with not-found, keeping the connection", async () => {
    await expect(t.clients.producer("no-such-hub").getEventHubProperties()).rejects.toMatchObject({
      code: "MessagingEntityNotFoundError",
    });
    const producer = t.clients.producer();
    await expect(producer.getPartitionProperties("9")).rejects.toMatchObject({
      code: "MessagingEntityNotFoundError",
    });
    await expect(producer.sendBatch([{ body: 1 }], { partitionId: "9" })).rejects.toMatchObject({
      code: "MessagingEntityNotFoundError",
    });
    // The same client (same connection) still works.
    await producer.sendBatch([{ body: 1 }], { partitionId: "0" });
    const consumer = t.clients.consumer("io-events", "no-such-group");
    const errors: Error[] = [];
    const subscription = consumer.subscribe(
      "0",
      { processEvents: () => Promise.resolve(), processError: (e) => Promise.resolve(void errors.push(e)) },
      { startPosition: earliestEventPosition },
    );
    await waitFor(() => errors.length > 0);
    await subscription.close();
    expect(errors[0]).toMatchObject({ code: "MessagingEntityNotFoundError" });
    expect(errors[0]?.message).toContain("no-such-group");
  });

  it("accepts a batch near the 1 MiB link limit and refuses a larger message clearly", async () => {
    const producer = t.clients.producer();
    const batch = await producer.createBatch({ partitionId: "1" });
    expect(batch.maxSizeInBytes).toBe(1024 * 1024);
    const chunk = "x".repeat(100_000);
    while (batch.tryAdd({ body: chunk }));
    expect(batch.sizeInBytes).toBeGreaterThan(900_000);
    await producer.sendBatch(batch);
    expect((await producer.getPartitionProperties("1")).lastEnqueuedSequenceNumber).toBe(batch.count - 1);
    const refused = await producer
      .sendBatch([{ body: "y".repeat(1_100_000) }], { partitionId: "1" })
      .catch((e: Error) => e);
    expect(refused).toMatchObject({ code: "MessageTooLargeError" });
    expect((refused as Error).message).toMatch(/size \d+ bytes\) exceeds the limit \(1048576 bytes\)/);
    expect((await producer.getPartitionProperties("1")).lastEnqueuedSequenceNumber).toBe(batch.count - 1);
  });

  it("survives garbage from a raw TCP client and keeps serving the SDK", async () => {
    const closed = new Promise<void>((resolve) => {
      const socket = createConnection({ host: "127.0.0.1", port: t.emulator.port }, () => {
        socket.write(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      });
      socket.on("error", () => undefined);
      socket.on("close", () => resolve());
    });
    await closed;
    const half = new Promise<void>((resolve) => {
      const socket = createConnection({ host: "127.0.0.1", port: t.emulator.port }, () => {
        // A valid AMQP header followed by a frame whose body is nonsense.
        socket.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]));
        socket.write(Buffer.from([0, 0, 0, 12, 2, 0, 0, 0, 0xff, 0xee, 0xdd, 0xcc]));
      });
      socket.on("error", () => undefined);
      socket.on("close", () => resolve());
      socket.on("data", () => undefined);
    });
    await half;
    const producer = t.clients.producer();
    await producer.sendBatch([{ body: "still alive" }], { partitionId: "2" });
    expect((await producer.getPartitionProperties("2")).isEmpty).toBe(false);
  });

  it("lets a higher owner level steal a partition and refuses a lower one", async () => {
    await t.clients.producer().sendBatch([{ body: 1 }], { partitionId: "0" });
    const subscribe = (ownerLevel: number) => {
      const errors: Error[] = [];
      const { done, subscription } = collect(
        (handlers) =>
          t.clients
            .consumer()
            .subscribe(
              "0",
              { ...handlers, processError: (e) => Promise.resolve(void errors.push(e)) },
              { startPosition: earliestEventPosition, ownerLevel },
            ),
        1,
      );
      return { done, subscription, errors };
    };
    const first = subscribe(1);
    await first.done;
    const second = subscribe(2);
    await second.done;
    await waitFor(() => first.errors.length > 0);
    expect(first.errors[0]).toMatchObject({ code: "ReceiverDisconnectedError" });
    const third = subscribe(0);
    await waitFor(() => third.errors.length > 0);
    expect(third.errors[0]).toMatchObject({ code: "ReceiverDisconnectedError" });
    expect(second.errors).toEqual([]);
    await Promise.all([first, second, third].map((s) => s.subscription.close()));
  });

  it("drops frames for channels and links it already forgot, keeping the client's connection", async () => {
    const connection = await rawConnection(t.emulator.port);
    try {
      const received: unknown[] = [];
      const receiver = connection.open_receiver({
        source: { address: "io-events/ConsumerGroups/$default/Partitions/2" },
      });
      receiver.on("message", (ctx: EventContext) => received.push(String(ctx.message?.body.content)));
      await new Promise((resolve) => receiver.once("receiver_open", resolve));
      const frames = rheaFrames();
      const raw = connection as unknown as { _write_frame(channel: number, frame: unknown): void };
      // A disposition and a flow on a channel that never began (or already ended) ...
      raw._write_frame(77, frames.disposition({ role: true, first: 0, last: 3, settled: true }));
      raw._write_frame(
        77,
        frames.flow({ next_incoming_id: 0, incoming_window: 10, next_outgoing_id: 0, outgoing_window: 10 }),
      );
      // ... and a flow and a detach for a link handle that was never attached.
      const session = receiver.session as unknown as { output(frame: unknown): void };
      session.output(
        frames.flow({
          handle: 42,
          next_incoming_id: 0,
          incoming_window: 100,
          next_outgoing_id: 0,
          outgoing_window: 100,
          link_credit: 5,
          delivery_count: 0,
        }),
      );
      session.output(frames.detach({ handle: 43, closed: true }));
      await t.clients.producer().sendBatch([{ body: "after" }], { partitionId: "2" });
      await waitFor(() => received.length > 0);
      expect(received).toEqual(['"after"']);
    } finally {
      connection.close();
    }
  });

  it("rejects a malformed batch and accepts the next transfer on the same link", async () => {
    const connection = await rawConnection(t.emulator.port);
    try {
      const sender = connection.open_sender({ target: { address: "io-events/Partitions/3" } });
      await new Promise((resolve) => sender.once("sendable", resolve));
      const outcome = (payload: Buffer, format: number) =>
        new Promise<string>((resolve) => {
          const delivery = sender.send(payload, undefined, format);
          const settle = (ctx: EventContext) => {
            if (ctx.delivery !== delivery) return;
            const state = ctx.delivery.remote_state as { error?: { condition?: string } } | undefined;
            resolve(state?.error?.condition ?? "accepted");
          };
          sender.on("accepted", settle);
          sender.on("rejected", settle);
        });
      expect(await outcome(Buffer.from([0x00, 0x53, 0x75, 0xb0, 0xff, 0xff]), 0x80013700)).toBe(
        "amqp:decode-error",
      );
      expect(await outcome(message.encode({ body: "fine" }), 0)).toBe("accepted");
      expect((await t.clients.producer().getPartitionProperties("3")).lastEnqueuedSequenceNumber).toBe(0);
    } finally {
      connection.close();
    }
  });

  it("names the port when it is already taken", async () => {
    await expect(startEventHubsEmulator({ port: t.emulator.port })).rejects.toThrow(
      new RegExp(`127\\.0\\.0\\.1:${t.emulator.port}.*already in use`),
    );
  });
});
