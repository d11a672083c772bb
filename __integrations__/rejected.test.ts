import { randomUUID } from "node:crypto";

import { TableClient } from "@azure/data-tables";

import { type Subscriber, TestAgent } from "./agent/testAgent";
import { holdsFor, waitFor, waitForValue } from "./agent/waitFor";

// A batch mixing malformed events with good ones: the good ones are delivered, the bad ones are recorded in the
// RejectedEvents table (read directly: there is no HTTP route for it yet) and nothing blocks.

interface RejectedRow {
  readonly raw: string;
  readonly reasons: string;
  readonly sequenceNumber: number;
}

const rejectedRows = async (storage: string, marker: string): Promise<ReadonlyArray<RejectedRow>> => {
  const client = TableClient.fromConnectionString(storage, "RejectedEvents", {
    allowInsecureConnection: true,
  });
  const rows: RejectedRow[] = [];
  try {
    for await (const e of client.listEntities<Record<string, unknown>>()) {
      if (typeof e.raw === "string" && e.raw.includes(marker))
        rows.push({ raw: e.raw, reasons: String(e.reasons), sequenceNumber: Number(e.sequenceNumber) });
    }
  } catch (error) {
    // The table appears with the first rejection.
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  return rows;
};

describe("a batch with malformed events among good ones", () => {
  let agent: TestAgent;
  let good: Subscriber;

  beforeAll(() => {
    agent = new TestAgent();
  });
  beforeEach(async () => {
    good = await agent.subscribe(await agent.receiver("good"), {
      subscriptions: ["ping"],
      attributes: { name: "good" },
    });
  });
  afterEach(() => agent.cleanup());
  afterAll(() => agent.close());

  it("delivers the good events and records every bad one with its reasons", async () => {
    const marker = `marker-${randomUUID()}`;
    const bad: ReadonlyArray<unknown> = [
      `not json ${marker}`,
      { name: "no-such-event", trace: marker },
      { name: "ping", payload: {}, trace: marker },
      { name: "service:subscribed", payload: { serviceId: "x", fiscalCode: "not-a-code" }, trace: marker },
    ];
    const ping = { name: "ping", payload: { name: "good" } };
    await agent.producer.publish([ping, ...bad, ping]);

    await waitFor(() => good.receiver.delivered() === 2, { what: "the two good pings" });
    await holdsFor(() => good.receiver.unique() === 2, 300, "exactly two deliveries");

    const storage = agent.target.storageConnection;
    if (storage === undefined) return; // the suite cannot reach the dispatcher's storage here
    const rows = await waitForValue(
      async () => {
        const found = await rejectedRows(storage, marker);
        return found.length === bad.length ? found : undefined;
      },
      { what: `${bad.length} rows in RejectedEvents` },
    );
    const reasons = [...rows].sort((a, b) => a.sequenceNumber - b.sequenceNumber).map((r) => r.reasons);
    expect(reasons[0]).toContain("not valid JSON");
    expect(reasons[1]).toContain("/name");
    expect(reasons[2]).toContain("/payload/name");
    expect(reasons[3]).toContain("/payload/fiscalCode");
    expect(reasons[3]).not.toContain("not-a-code");
  });
});
