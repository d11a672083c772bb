import { type WebhookInput } from "../../domain/webhook";
import { freshTableName, tableClient } from "../../test-support/storage";
import { withReadThroughCache } from "./cachedWebhookStore";
import { makeTableWebhookStore } from "./webhookStore";

const input: WebhookInput = {
  url: "https://receiver.example/hook",
  subscriptions: ["ping", "service:subscribed"],
  attributes: { name: "wh2", serviceId: "aServiceId12345" },
  headers: { authorization: "Bearer token" },
  disabled: false,
};

const manualClock = (start = Date.parse("2026-01-01T00:00:00Z")) => {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
};

const newStore = () => {
  const clock = manualClock();
  const client = tableClient(freshTableName("Webhooks"));
  return { store: makeTableWebhookStore(client, clock), clock, client };
};

describe("table webhook store (Azurite)", () => {
  it("creates, reads back and lists a webhook with its secret and an etag", async () => {
    const { store } = newStore();
    const created = await store.create("wh-1", input, "whsec_one");
    expect(created.etag).not.toBe("");
    const read = await store.get("wh-1");
    expect(read?.webhook).toEqual({ id: "wh-1", ...input });
    expect(read?.secrets).toEqual({ current: "whsec_one" });
    expect(read?.etag).toBe(created.etag);
    expect((await store.list()).map((s) => s.webhook.id)).toEqual(["wh-1"]);
  });

  it("answers undefined / false / not-found for a missing webhook", async () => {
    const { store } = newStore();
    expect(await store.get("nope")).toBeUndefined();
    expect(await store.remove("nope")).toBe(false);
    expect(await store.replace("nope", input)).toEqual({ kind: "not-found" });
    expect(await store.rotateSecret("nope", "whsec_x", new Date())).toBeUndefined();
  });

  it("replaces with a matching If-Match, refuses a stale one, and keeps secrets and createdAt", async () => {
    const { store, clock } = newStore();
    const created = await store.create("wh-1", input, "whsec_one");
    clock.advance(1000);
    const replaced = await store.replace("wh-1", { ...input, disabled: true }, created.etag);
    expect(replaced.kind).toBe("replaced");
    if (replaced.kind !== "replaced") return;
    expect(replaced.stored.webhook.disabled).toBe(true);
    expect(replaced.stored.secrets.current).toBe("whsec_one");
    expect(replaced.stored.createdAt).toBe(created.createdAt);
    expect(replaced.stored.updatedAt).not.toBe(created.updatedAt);
    expect(await store.replace("wh-1", input, created.etag)).toEqual({ kind: "precondition-failed" });
    expect((await store.replace("wh-1", input)).kind).toBe("replaced");
  });

  it("rotates a secret keeping the previous one with its grace deadline", async () => {
    const { store } = newStore();
    await store.create("wh-1", input, "whsec_one");
    const until = new Date("2026-01-02T00:00:00Z");
    const rotated = await store.rotateSecret("wh-1", "whsec_two", until);
    expect(rotated?.secrets).toEqual({
      current: "whsec_two",
      previous: "whsec_one",
      previousValidUntil: until.toISOString(),
    });
    expect((await store.get("wh-1"))?.secrets.current).toBe("whsec_two");
  });

  it("disables with a reason, and deletes", async () => {
    const { store } = newStore();
    await store.create("wh-1", input, "whsec_one");
    const disabled = await store.disable("wh-1", "receiver answered 410 Gone");
    expect(disabled?.webhook).toMatchObject({ disabled: true, disabledReason: "receiver answered 410 Gone" });
    expect(await store.remove("wh-1")).toBe(true);
    expect(await store.get("wh-1")).toBeUndefined();
  });

  it("refuses to create the same id twice", async () => {
    const { store } = newStore();
    await store.create("wh-1", input, "whsec_one");
    await expect(store.create("wh-1", input, "whsec_two")).rejects.toMatchObject({ statusCode: 409 });
  });
});

describe("read-through cache", () => {
  it("serves the cached list within the TTL and reloads after it", async () => {
    const { store, clock, client } = newStore();
    const cached = withReadThroughCache(store, 30_000, clock);
    await cached.create("wh-1", input, "s");
    expect(await cached.listCached()).toHaveLength(1);
    // A write made by another instance (straight to the table) is not seen until the TTL passes.
    await makeTableWebhookStore(client, clock).create("wh-2", input, "s");
    expect(await cached.listCached()).toHaveLength(1);
    clock.advance(30_000);
    expect(await cached.listCached()).toHaveLength(2);
  });

  it("is invalidated by writes through the same instance", async () => {
    const { store, clock } = newStore();
    const cached = withReadThroughCache(store, 30_000, clock);
    await cached.create("wh-1", input, "s");
    expect(await cached.listCached()).toHaveLength(1);
    await cached.disable("wh-1", "gone");
    expect((await cached.listCached())[0]?.webhook.disabled).toBe(true);
    await cached.remove("wh-1");
    expect(await cached.listCached()).toHaveLength(0);
  });
});
