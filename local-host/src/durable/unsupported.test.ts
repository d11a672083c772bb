import { captureDurable, type Harness, startHarness } from "./testHarness";
import { waitForCompletion } from "./testWait";

/** Durable entities are not supported: using one fails the orchestration with a message, never a hang. */
describe("unsupported durable features", () => {
  const shim = captureDurable((df) => {
    const counter = new df.EntityId("counter", "k");
    df.app.orchestration("callsEntity", function* (context) {
      return (yield context.df.callEntity(counter, "add", 1)) as number;
    });
    df.app.orchestration("signalsEntity", function* (context) {
      yield* [];
      context.df.signalEntity(counter, "add", 1);
      return "signalled";
    });
  });

  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(shim);
  });
  afterEach(() => h.close());

  it.each([
    ["callsEntity", "callEntity (durable entities) (action type 7)"],
    ["signalsEntity", "signalEntity (durable entities) (action type 9)"],
  ])("fails %s with a message naming it and the feature", async (name, feature) => {
    const id = await h.client.startNew(name);
    const done = await waitForCompletion(h, id);
    expect(done.status).toBe(500);
    expect((done.body as { output: string }).output).toBe(
      `Orchestrator function '${name}' failed: the local durable runtime does not support ${feature}`,
    );
  });

  it("answers client entity operations with 501 naming the feature", async () => {
    const response = await fetch(`${h.baseUrl}/runtime/webhooks/durabletask/entities/counter/k`);
    expect(response.status).toBe(501);
    expect(((await response.json()) as { message: string }).message).toContain("entities");
  });
});
