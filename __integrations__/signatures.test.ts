import { verifies } from "./agent/receiver";
import { type Subscriber, TestAgent } from "./agent/testAgent";
import { waitFor } from "./agent/waitFor";

// Receivers verify every delivery with the standardwebhooks package; after a rotation both secrets verify
// during the grace period (the dispatcher sends one signature per secret).

describe("signatures", () => {
  let agent: TestAgent;
  let signed: Subscriber;

  beforeAll(() => {
    agent = new TestAgent();
  });
  beforeEach(async () => {
    signed = await agent.subscribe(await agent.receiver("signed"), {
      subscriptions: ["ping"],
      attributes: { name: "signed" },
    });
  });
  afterEach(() => agent.cleanup());
  afterAll(() => agent.close());

  const pingAndWait = async (expected: number): Promise<void> => {
    await agent.producer.publish([{ name: "ping", payload: { name: "signed" } }]);
    await waitFor(() => signed.receiver.delivered() === expected, { what: `${expected} deliveries` });
  };

  it("signs each delivery so that it verifies with the webhook's secret and no other", async () => {
    await pingAndWait(1);
    const [request] = signed.receiver.requests;
    expect(request?.signatureValid).toBe(true);
    expect(request?.headers["webhook-id"]).toMatch(/^msg_/);
    expect(verifies(request!, "whsec_" + Buffer.from("not the secret at all!!").toString("base64"))).toBe(
      false,
    );
    expect(
      verifies({ ...request!, body: request!.body.replace("ping", "pong") }, signed.webhook.secret),
    ).toBe(false);
  });

  it("verifies with the old and with the new secret during the grace period after a rotation", async () => {
    await pingAndWait(1);
    const oldSecret = signed.webhook.secret;
    const rotated = await agent.admin.rotateSecret(signed.webhook.id);
    expect(rotated.secret).not.toBe(oldSecret);
    expect(Date.parse(rotated.previousSecretValidUntil)).toBeGreaterThan(Date.now());
    expect((await agent.admin.get(signed.webhook.id)).previousSecretValidUntil).toBe(
      rotated.previousSecretValidUntil,
    );

    await pingAndWait(2);
    const after = signed.receiver.requests[1]!;
    expect(verifies(after, rotated.secret)).toBe(true);
    expect(verifies(after, oldSecret)).toBe(true);
    expect(after.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    // Before the rotation only the old secret signed.
    expect(verifies(signed.receiver.requests[0]!, rotated.secret)).toBe(false);
  });
});
