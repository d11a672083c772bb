import { tableClient } from "../test-support/storage";
import { EntityStore, requestEvent } from "./entityStore";
import { captureDurable, type Df, type Harness, startHarness } from "./testHarness";
import { waitForCompletion } from "./testWait";

/** Durable entities: df.app.entity run in batches, called and signalled from orchestrations and clients. */
describe("durable entities", () => {
  const shim = captureDurable((df) => {
    df.app.entity("Counter", (context) => {
      const value = context.df.getState(() => 0) as number;
      switch (context.df.operationName ?? "") {
        case "add":
          context.df.setState(value + (context.df.getInput() as number));
          break;
        case "get":
          context.df.return(value);
          break;
        case "reset":
          context.df.setState(0);
          break;
        case "forward": {
          // An entity signalling another one.
          const target = context.df.getInput() as string;
          context.df.signalEntity(new df.EntityId("counter", target), "add", value);
          break;
        }
        case "fail":
          throw new Error("counter refused");
        case "delete":
          context.df.destructOnExit();
          break;
        default:
          throw new Error("unknown operation");
      }
    });
    df.app.orchestration("countTo", function* (context) {
      const id = new df.EntityId("Counter", context.df.instanceId);
      const n = context.df.getInput<number>();
      for (let i = 1; i <= n; i++) context.df.signalEntity(id, "add", 1);
      const total = (yield context.df.callEntity(id, "get")) as number;
      yield context.df.callEntity(id, "add", 10);
      return { total, after: (yield context.df.callEntity(id, "get")) as number };
    });
    df.app.orchestration("callsFailing", function* (context) {
      try {
        yield context.df.callEntity(new df.EntityId("counter", "f"), "fail");
        return "not reached";
      } catch (error) {
        return `caught ${(error as Error).constructor.name}`;
      }
    });
    df.app.orchestration("signalsAndEnds", function* (context) {
      yield* [];
      context.df.signalEntity(new df.EntityId("counter", "ends"), "add", 7);
      return "signalled";
    });
  });

  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(shim);
  });
  afterEach(() => h.close());

  const df = jest.requireActual<Df>("durable-functions");
  const stateOf = async (key: string): Promise<unknown> =>
    (await h.client.readEntityState(new df.EntityId("counter", key))).entityState;

  const eventually = async <T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> => {
    const until = Date.now() + 10_000;
    for (;;) {
      const v = await read();
      if (ok(v) || Date.now() > until) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it("runs signals in order before a call from the same orchestration, and answers calls", async () => {
    const id = await h.client.startNew("countTo", { input: 5 });
    const done = await waitForCompletion(h, id);
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ total: 5, after: 15 });
    expect(await stateOf(id)).toBe(15);
  });

  it("fails a call whose operation throws, in the calling orchestration", async () => {
    const id = await h.client.startNew("callsFailing");
    const done = await waitForCompletion(h, id);
    expect(done).toEqual({ status: 200, body: "caught Error" });
  });

  it("delivers a signal sent just before the orchestration returns", async () => {
    const id = await h.client.startNew("signalsAndEnds");
    expect((await waitForCompletion(h, id)).status).toBe(200);
    expect(
      await eventually(
        () => stateOf("ends"),
        (v) => v === 7,
      ),
    ).toBe(7);
  });

  it("takes client signals, entity-to-entity signals, reads state and lists entities over the HTTP API", async () => {
    await h.client.signalEntity(new df.EntityId("Counter", "a"), "add", 3);
    await h.client.signalEntity(new df.EntityId("Counter", "a"), "add", 4);
    expect(
      await eventually(
        () => stateOf("a"),
        (v) => v === 7,
      ),
    ).toBe(7);
    await h.client.signalEntity(new df.EntityId("Counter", "a"), "forward", "b");
    expect(
      await eventually(
        () => stateOf("b"),
        (v) => v === 7,
      ),
    ).toBe(7);

    const base = `${h.baseUrl}/runtime/webhooks/durabletask/entities`;
    const read = await fetch(`${base}/counter/a`);
    expect(read.status).toBe(200);
    expect(await read.json()).toBe(7);
    expect((await fetch(`${base}/counter/missing`)).status).toBe(404);
    const list = (await (await fetch(`${base}/counter?fetchState=true`)).json()) as Array<{
      entityId: { name: string; key: string };
      state: unknown;
    }>;
    expect(list.map((e) => [e.entityId.key, e.state]).sort()).toEqual([
      ["a", 7],
      ["b", 7],
    ]);
    const signal = await fetch(`${base}/counter/a?op=add`, { method: "POST", body: "1" });
    expect(signal.status).toBe(202);
    expect(
      await eventually(
        () => stateOf("a"),
        (v) => v === 8,
      ),
    ).toBe(8);
    const unknown = await fetch(`${base}/nosuch/a?op=add`, { method: "POST", body: "1" });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { message: string }).message).toBe(
      "No entity function named 'nosuch'.",
    );
  });

  it("forgets an entity that destructs itself", async () => {
    await h.client.signalEntity(new df.EntityId("counter", "gone"), "add", 1);
    expect(
      await eventually(
        () => stateOf("gone"),
        (v) => v === 1,
      ),
    ).toBe(1);
    await h.client.signalEntity(new df.EntityId("counter", "gone"), "delete");
    const state = await eventually(
      () => h.client.readEntityState(new df.EntityId("counter", "gone")),
      (r) => !r.entityExists,
    );
    expect(state.entityExists).toBe(false);
  });

  it("processes requests left in an inbox after a crash, once each", async () => {
    await h.client.signalEntity(new df.EntityId("counter", "crash"), "add", 2);
    expect(
      await eventually(
        () => stateOf("crash"),
        (v) => v === 2,
      ),
    ).toBe(2);
    // A request written to the inbox with the id of one already processed (a re-sent message) and a new one.
    const table = tableClient(`${h.taskHub}Instances`);
    const rows: Array<{ rowKey?: string; recent?: unknown }> = [];
    const filter = "PartitionKey eq '@counter@crash'";
    for await (const row of table.listEntities({ queryOptions: { filter } })) rows.push(row);
    expect(rows.map((r) => r.rowKey)).toEqual(["entity"]);
    const recent = JSON.parse(String(rows[0]!.recent)) as string[];
    // With the runtime stopped, the inbox gets a re-sent request (an id already processed) and a new one; the
    // next runtime finds them at start.
    await h.runtime.stop();
    const store = new EntityStore(table);
    const now = new Date();
    const add = (id: string, input: string) => ({ id, isSignal: true, operation: "add", input });
    await store.inbox.write("@counter@crash", "", requestEvent(now, add(recent[0]!, "100")));
    await store.inbox.write("@counter@crash", "", requestEvent(now, add("fresh-1", "5")));
    await h.restart();
    expect(
      await eventually(
        () => stateOf("crash"),
        (v) => v !== 2,
      ),
    ).toBe(7);
  });
});
