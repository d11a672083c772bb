import { FISCAL_CODE, MAPPED_SERVICE_ID, type OriginalWebhooks, TestAgent } from "./agent/testAgent";
import { holdsFor, waitFor } from "./agent/waitFor";

// The original IO dispatcher's suite, end to end: events published to the Event Hub, deliveries counted at the
// receivers by webhook-id.

const ping = (name: string): unknown => ({ name: "ping", payload: { name } });
const QUIET_MS = 400;

describe("the original dispatcher scenarios", () => {
  let agent: TestAgent;
  let wh: OriginalWebhooks;

  beforeAll(() => {
    agent = new TestAgent();
  });
  beforeEach(async () => {
    wh = await agent.originalWebhooks();
  });
  afterEach(() => agent.cleanup());
  afterAll(() => agent.close());

  const counts = (): [number, number, number] => [
    wh.wh1.receiver.unique(),
    wh.wh2.receiver.unique(),
    wh.wh3.receiver.unique(),
  ];
  const settledAt = async (expected: [number, number, number]): Promise<void> => {
    const same = (): boolean => counts().every((n, i) => n === expected[i]);
    await waitFor(same, { what: `deliveries ${expected.join("/")}`, detail: () => counts().join("/") });
    await holdsFor(same, QUIET_MS, `exactly ${expected.join("/")} deliveries to wh1/wh2/wh3`);
  };

  it.each([1, 5, 10, 100])("delivers %i pings for wh1 to wh1 only, once each", async (n) => {
    await agent.producer.publish(Array.from({ length: n }, () => ping("wh1")));
    await settledAt([n, 0, 0]);
    expect(wh.wh1.receiver.requests).toHaveLength(n);
    expect(wh.wh1.receiver.requests.every((r) => r.signatureValid)).toBe(true);
    expect(new Set(wh.wh1.receiver.bodies().map((b) => JSON.stringify(b)))).toEqual(
      new Set([JSON.stringify({ name: "ping", payload: {} })]),
    );
  });

  it("delivers a ping for wh2 to wh2 only", async () => {
    await agent.producer.publish([ping("wh2")]);
    await settledAt([0, 1, 0]);
    expect(wh.wh2.receiver.bodies()).toEqual([{ name: "ping", payload: {} }]);
  });

  it("delivers pings for wh1 and wh2 to each of them", async () => {
    await agent.producer.publish([ping("wh1"), ping("wh2")]);
    await settledAt([1, 1, 0]);
  });

  it("turns ping:all into one ping for every webhook with a name", async () => {
    await agent.producer.publish([{ name: "ping:all" }]);
    await settledAt([1, 1, 0]);
    expect(wh.wh1.receiver.bodies()).toEqual([{ name: "ping", payload: {} }]);
    expect(wh.wh2.receiver.bodies()).toEqual([{ name: "ping", payload: {} }]);
  });

  it("delivers service:subscribed for a mapped serviceId with the payload exactly {fiscalCode}", async () => {
    await agent.producer.publish([
      { name: "service:subscribed", payload: { serviceId: MAPPED_SERVICE_ID, fiscalCode: FISCAL_CODE } },
    ]);
    await settledAt([0, 1, 0]);
    expect(wh.wh2.receiver.bodies()).toEqual([
      { name: "service:subscribed", payload: { fiscalCode: FISCAL_CODE } },
    ]);
  });

  it("delivers nothing for service:subscribed with an unmapped serviceId", async () => {
    await agent.publishWithSentinel([
      { name: "service:subscribed", payload: { serviceId: "aServiceIdNobody", fiscalCode: FISCAL_CODE } },
    ]);
    await holdsFor(() => counts().every((n) => n === 0), QUIET_MS, "no deliveries to wh1/wh2/wh3");
  });

  it("turns a change to AUTO into service:subscribed for wh2 and wh3", async () => {
    await agent.producer.publish([
      {
        name: "profile:service-preferences-changed",
        payload: {
          fiscalCode: FISCAL_CODE,
          servicePreferencesMode: "AUTO",
          oldServicePreferencesMode: "LEGACY",
        },
      },
    ]);
    await settledAt([0, 1, 1]);
    const expected = [{ name: "service:subscribed", payload: { fiscalCode: FISCAL_CODE } }];
    expect(wh.wh2.receiver.bodies()).toEqual(expected);
    expect(wh.wh3.receiver.bodies()).toEqual(expected);
  });

  it("delivers nothing for a change to MANUAL", async () => {
    await agent.publishWithSentinel([
      {
        name: "profile:service-preferences-changed",
        payload: {
          fiscalCode: FISCAL_CODE,
          servicePreferencesMode: "MANUAL",
          oldServicePreferencesMode: "AUTO",
        },
      },
    ]);
    await holdsFor(() => counts().every((n) => n === 0), QUIET_MS, "no deliveries to wh1/wh2/wh3");
  });

  it("turns profile:completed with AUTO into service:subscribed for wh2 and wh3", async () => {
    await agent.producer.publish([
      { name: "profile:completed", payload: { fiscalCode: FISCAL_CODE, servicePreferencesMode: "AUTO" } },
    ]);
    await settledAt([0, 1, 1]);
    expect(wh.wh3.receiver.bodies()).toEqual([
      { name: "service:subscribed", payload: { fiscalCode: FISCAL_CODE } },
    ]);
  });

  it("delivers nothing for profile:completed with MANUAL", async () => {
    await agent.publishWithSentinel([
      { name: "profile:completed", payload: { fiscalCode: FISCAL_CODE, servicePreferencesMode: "MANUAL" } },
    ]);
    await holdsFor(() => counts().every((n) => n === 0), QUIET_MS, "no deliveries to wh1/wh2/wh3");
  });
});
