import * as E from "fp-ts/Either";

import { makeTableRejectedEventsStore } from "../../adapters/tables/rejectedEvents";
import { type DeliveryReport, DispatchInput, type PlanInput, type PlanResult } from "../../domain/dispatch";
import { fakeStarter } from "../../test-support/fakeStarter";
import { freshTableName, tableClient } from "../../test-support/storage";
import { aFiscalCode } from "../../test-support/webhooks";
import { makeBatchContinuity } from "./continuity";
import { batchInstanceId, type BatchPosition, decodeEvent, makeIngest } from "./ingest";
import { batchPositionOf } from "./triggerMetadata";

const settings = { chunkSize: 50, retrySchedule: [0, 5000] };
const position = (count: number, first = 100, messageIds: Record<number, string> = {}): BatchPosition => ({
  hub: "io-events",
  partitionId: "2",
  events: Array.from({ length: count }, (_, i) => ({
    sequenceNumber: first + i,
    enqueuedTime: "2026-01-01T00:00:00.000Z",
    ...(messageIds[i] === undefined ? {} : { messageId: messageIds[i] }),
  })),
});

const setup = () => {
  const rejected = makeTableRejectedEventsStore(tableClient(freshTableName("Rejected")));
  const { starter, started } = fakeStarter();
  return { rejected, starter, started, ingest: makeIngest({ rejected, settings: () => settings }) };
};

describe("Event Hub ingestion", () => {
  it("starts one orchestration for the valid events of a mixed batch and records the invalid ones", async () => {
    const s = setup();
    const batch = [
      { name: "ping", payload: { name: "wh1" } }, // parsed by the host
      "{not json", // invalid JSON arrives as a string
      Buffer.from(JSON.stringify({ name: "ping:all" })), // bytes
      { name: "service:subscribed", payload: { serviceId: "s", fiscalCode: "bad" } }, // schema-invalid
      { name: "no-such-event" },
      JSON.stringify({
        name: "profile:completed",
        payload: { fiscalCode: aFiscalCode, servicePreferencesMode: "AUTO" },
      }),
    ];
    const result = await s.ingest(batch, position(batch.length, 100, { 0: "producer-msg-1" }), s.starter);
    expect(result).toEqual({
      accepted: 3,
      rejected: 3,
      instanceId: "dispatch:io-events:2:100-105",
      started: true,
    });
    const input = s.started.get("dispatch:io-events:2:100-105")?.input as DispatchInput & { kind: "events" };
    expect(input.events.map((e) => e.eventId)).toEqual(["producer-msg-1", "2:102", "2:105"]);
    expect(input.events.map((e) => e.event.name)).toEqual(["ping", "ping:all", "profile:completed"]);
    expect(input.settings).toEqual(settings);

    const rejected = await s.rejected.list();
    expect(rejected.map((r) => r.sequenceNumber).sort()).toEqual([101, 103, 104]);
    const bySeq = new Map(rejected.map((r) => [r.sequenceNumber, r]));
    expect(bySeq.get(101)?.reasons).toEqual(["the body is not valid JSON"]);
    expect(bySeq.get(101)?.raw).toBe("{not json");
    expect(bySeq.get(103)?.reasons).toEqual(["/payload/fiscalCode: must be FiscalCode"]);
    expect(bySeq.get(104)?.reasons[0]).toMatch(/^\/name: must be one of ping, service:subscribed/);
  });

  it("starts nothing new for a redelivered batch", async () => {
    const s = setup();
    const batch = [{ name: "ping:all" }];
    expect((await s.ingest(batch, position(1), s.starter)).started).toBe(true);
    expect((await s.ingest(batch, position(1), s.starter)).started).toBe(false);
    expect(s.started.size).toBe(1);
  });

  it("skips the exists check only for a batch that directly follows the last one, and never restarts one", async () => {
    const rejected = makeTableRejectedEventsStore(tableClient(freshTableName("Rejected")));
    const { starter, started, restarted, unchecked } = fakeStarter();
    let now = 0;
    const ingest = makeIngest({
      rejected,
      settings: () => settings,
      continuity: makeBatchContinuity(),
      nowMs: () => now,
    });
    const batch = (n: number) => Array.from({ length: n }, () => ({ name: "ping:all" }));
    await ingest(batch(10), position(10, 100), starter); // the first: checked
    now += 5;
    await ingest(batch(10), position(10, 110), starter); // follows: started without the check
    now += 5;
    await ingest(batch(10), position(10, 110), starter); // the same batch again (redelivered): checked, exists
    now += 5;
    await ingest(batch(5), position(5, 125), starter); // after a gap: checked
    now += 5;
    const allBad = await ingest(["x"], position(1, 130), starter); // all rejected: nothing started, continuity kept
    expect(allBad.started).toBe(false);
    now += 5;
    await ingest(batch(2), position(2, 131), starter); // follows the rejected one
    expect([...started.keys()]).toEqual([
      "dispatch:io-events:2:100-109",
      "dispatch:io-events:2:110-119",
      "dispatch:io-events:2:125-129",
      "dispatch:io-events:2:131-132",
    ]);
    expect(unchecked).toEqual(["dispatch:io-events:2:110-119", "dispatch:io-events:2:131-132"]);
    expect(restarted).toEqual([]);
  });

  it("checks again the retry of a batch whose first attempt failed after it may have started it", async () => {
    const rejected = makeTableRejectedEventsStore(tableClient(freshTableName("Rejected")));
    const { starter, started, restarted } = fakeStarter();
    const continuity = makeBatchContinuity();
    const ingest = makeIngest({ rejected, settings: () => settings, continuity, nowMs: () => 0 });
    await ingest([{ name: "ping:all" }], position(1, 100), starter);
    // The next batch's attempt starts its orchestration, then the invocation fails (the host retries it).
    const failing = {
      ...starter,
      startNew: async (name: string, id: string, input: unknown) => {
        await starter.startNew?.(name, id, input);
        throw new Error("the invocation failed after the start");
      },
    };
    await expect(ingest([{ name: "ping:all" }], position(1, 101), failing)).rejects.toThrow(
      "after the start",
    );
    const retry = await ingest([{ name: "ping:all" }], position(1, 101), starter);
    expect(retry.started).toBe(false);
    expect(restarted).toEqual([]);
    expect(started.size).toBe(2);
  });

  describe("the first round (the ingest makes the first attempts itself)", () => {
    const deliveryOf = (id: string) => ({
      id,
      eventId: id,
      webhookId: "wh1",
      message: { name: "ping" as const, payload: {} },
    });
    const at = "2026-01-01T00:00:01.000Z";
    /** A first round of our own port: plans one delivery per event and reports `outcomes` for them. */
    const firstRoundWith = (
      outcomes: ReadonlyArray<"delivered" | "failed" | "skipped">,
      planned?: number,
    ) => {
      const calls: PlanInput[] = [];
      const run = (input: PlanInput): Promise<PlanResult> => {
        calls.push(input);
        const deliveries = input.events.map((e) => deliveryOf(e.eventId));
        if ((planned ?? deliveries.length) > (input.deliverUpTo ?? 0)) return Promise.resolve({ deliveries });
        const reports: DeliveryReport[] = deliveries.map((d, i) =>
          outcomes[i] === "skipped"
            ? { deliveryId: d.id, at, skipped: "webhook deleted" }
            : {
                deliveryId: d.id,
                at,
                outcome:
                  outcomes[i] === "delivered"
                    ? { kind: "delivered", status: 200 }
                    : { kind: "retryable", status: 503 },
              },
        );
        return Promise.resolve({ deliveries, reports });
      };
      return { run, calls };
    };
    const ingestWith = (
      firstRound: (input: PlanInput) => Promise<PlanResult>,
      s = settings,
      firstRoundUpTo?: number,
    ) =>
      makeIngest({
        rejected: makeTableRejectedEventsStore(tableClient(freshTableName("Rejected"))),
        settings: () => s,
        firstRound,
        ...(firstRoundUpTo === undefined ? {} : { firstRoundUpTo }),
      });
    const pings = (n: number) => Array.from({ length: n }, () => ({ name: "ping:all" }));

    it("starts no orchestration when the first round delivers everything", async () => {
      const round = firstRoundWith(["delivered", "delivered", "skipped"]);
      const { starter, started } = fakeStarter();
      const result = await ingestWith(round.run)(pings(3), position(3), starter);
      expect(result).toEqual({
        accepted: 3,
        rejected: 0,
        instanceId: "dispatch:io-events:2:100-102",
        started: false,
        settled: 3,
      });
      expect(started.size).toBe(0);
      // As the orchestration would ask its plan activity: one chunk's worth, and who would hold ordered retries.
      expect(round.calls).toEqual([
        expect.objectContaining({
          deliverUpTo: 50,
          instanceId: "dispatch:io-events:2:100-102",
          retrySchedule: [0, 5000],
        }),
      ]);
    });

    it("hands only the deliveries that did not settle, with their reports, to an orchestration", async () => {
      const round = firstRoundWith(["delivered", "failed", "delivered"]);
      const { starter, started } = fakeStarter();
      const result = await ingestWith(round.run)(pings(3), position(3), starter);
      expect(result).toMatchObject({ started: true, settled: 2 });
      const input = started.get("dispatch:io-events:2:100-102")?.input;
      expect(input).toEqual({
        kind: "rest",
        deliveries: [deliveryOf("2:101")],
        reports: [{ deliveryId: "2:101", at, outcome: { kind: "retryable", status: 503 } }],
        counted: { planned: 3, delivered: 2, dropped: 0 },
        settings,
      });
      expect(E.isRight(DispatchInput.decode(input))).toBe(true);
    });

    it("sends nothing for a redelivered batch whose orchestration exists", async () => {
      const round = firstRoundWith(["failed"]);
      const { starter, started } = fakeStarter();
      const ingest = ingestWith(round.run);
      expect((await ingest(pings(1), position(1), starter)).started).toBe(true);
      expect(await ingest(pings(1), position(1), starter)).toMatchObject({ started: false });
      expect(round.calls).toHaveLength(1);
      expect(started.size).toBe(1);
    });

    it("sends a plan of several chunks itself up to firstRoundUpTo (INGEST_FIRST_ROUND_MAX), in chunks", async () => {
      const round = firstRoundWith(["delivered", "delivered"], 120);
      const { starter, started } = fakeStarter();
      expect((await ingestWith(round.run, settings, 150)(pings(2), position(2), starter)).settled).toBe(2);
      expect(round.calls).toEqual([expect.objectContaining({ deliverUpTo: 150, chunkSize: 50 })]);
      expect(started.size).toBe(0);
    });

    it("leaves a plan of more than one chunk to the orchestration, as events", async () => {
      const round = firstRoundWith([], 51);
      const { starter, started } = fakeStarter();
      expect((await ingestWith(round.run)(pings(2), position(2), starter)).started).toBe(true);
      expect(started.get("dispatch:io-events:2:100-101")?.input).toMatchObject({ kind: "events" });
    });

    it("leaves the first round to the orchestration when the schedule's first attempt waits", async () => {
      const round = firstRoundWith(["delivered"]);
      const { starter, started } = fakeStarter();
      const waiting = { chunkSize: 50, retrySchedule: [30_000, 5000] };
      expect((await ingestWith(round.run, waiting)(pings(1), position(1), starter)).started).toBe(true);
      expect(round.calls).toEqual([]);
      expect(started.get("dispatch:io-events:2:100-100")?.input).toMatchObject({ kind: "events" });
    });
  });

  it("starts no orchestration when every event of a batch is invalid", async () => {
    const s = setup();
    const result = await s.ingest(["x", 42, null], position(3), s.starter);
    expect(result).toEqual({ accepted: 0, rejected: 3, started: false });
    expect(s.started.size).toBe(0);
    expect(await s.rejected.list()).toHaveLength(3);
  });

  it("rejects poison events (a name like constructor, nesting 10,000 deep) instead of failing the batch", async () => {
    const s = setup();
    const deep = JSON.parse(
      `{"name":"ping","payload":{"name":${"[".repeat(10_000)}${"]".repeat(10_000)}}}`,
    ) as unknown;
    const batch = [
      { name: "constructor" },
      { name: "__proto__" },
      { name: "toString" },
      deep,
      { name: "ping:all" },
    ];
    const result = await s.ingest(batch, position(batch.length), s.starter);
    expect(result).toMatchObject({ accepted: 1, rejected: 4, started: true });
    const rejected = await s.rejected.list();
    expect(rejected).toHaveLength(4);
    expect(rejected.every((r) => r.reasons.length > 0)).toBe(true);
  });

  it("never puts payload values into rejection reasons", () => {
    const decoded = decodeEvent({
      name: "profile:completed",
      payload: { fiscalCode: "RSSMRA80A01H501U-typo", servicePreferencesMode: "AUTO" },
    });
    expect(E.isLeft(decoded) && decoded.left.join(" ")).not.toContain("RSSMRA80A01H501U");
  });

  it("derives the instance id from hub, partition and the first and last sequence numbers", () => {
    expect(batchInstanceId(position(3, 7))).toBe("dispatch:io-events:2:7-9");
  });
});

describe("Event Hub trigger metadata (cardinality many)", () => {
  it("reads partition, sequence numbers, enqueued times and message ids", () => {
    const position = batchPositionOf(
      {
        partitionContext: { eventHubName: "io-events", consumerGroup: "$default", partitionId: "3" },
        sequenceNumberArray: [10, 11],
        enqueuedTimeUtcArray: ["2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.000Z"],
        systemPropertiesArray: [{ "message-id": "m-1", sequenceNumber: 10 }, { sequenceNumber: 11 }],
      },
      "fallback",
      2,
    );
    expect(position).toEqual({
      hub: "io-events",
      partitionId: "3",
      events: [
        { sequenceNumber: 10, enqueuedTime: "2026-01-01T00:00:00.000Z", messageId: "m-1" },
        { sequenceNumber: 11, enqueuedTime: "2026-01-01T00:00:01.000Z" },
      ],
    });
  });

  it("refuses metadata without one sequence number per event", () => {
    expect(() =>
      batchPositionOf({ partitionContext: { partitionId: "0" }, sequenceNumberArray: [1] }, "h", 2),
    ).toThrow(/sequence number per event/);
  });
});
