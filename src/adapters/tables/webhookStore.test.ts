import { type TableClient } from "@azure/data-tables";

import { type WebhookInput } from "../../domain/webhook";
import { testEncryptionKeys, testSecretCipher } from "../../test-support/secrets";
import { freshTableName, tableClient } from "../../test-support/storage";
import { withReadThroughCache } from "./cachedWebhookStore";
import { type EncryptionKeys, makeSecretCipher } from "./secretCipher";
import { WEBHOOK_PARTITION } from "./webhookEntity";
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
  const cipher = testSecretCipher();
  return { store: makeTableWebhookStore(client, clock, cipher), clock, client, cipher };
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
    const { store, clock, client, cipher } = newStore();
    const cached = withReadThroughCache(store, 30_000, clock);
    await cached.create("wh-1", input, "s");
    expect(await cached.listCached()).toHaveLength(1);
    // A write made by another instance (straight to the table) is not seen until the TTL passes.
    await makeTableWebhookStore(client, clock, cipher).create("wh-2", input, "s");
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

describe("secrets at rest in the Webhooks table (Azurite)", () => {
  const SECRET = "whsec_Y3VycmVudC1zZWNyZXQtdmFsdWUtMTIzNDU2";
  const NEXT_SECRET = "whsec_bmV4dC1zZWNyZXQtdmFsdWUtNjU0MzIx";
  const HEADER_VALUE = "Bearer receiver-token-7f3a9c";
  const withHeader: WebhookInput = { ...input, headers: { authorization: HEADER_VALUE, "x-tenant": "t-42" } };
  const plaintexts = [SECRET, NEXT_SECRET, HEADER_VALUE, "t-42"];

  const storeOver = (client: TableClient, keys: EncryptionKeys) =>
    makeTableWebhookStore(client, manualClock(), makeSecretCipher(keys));

  /** The row as Table Storage holds it, read with a plain TableClient (no store, no cipher). */
  const rawRow = async (client: TableClient, id: string) => {
    const entity = await client.getEntity<Record<string, unknown>>(WEBHOOK_PARTITION, id);
    return { entity, text: JSON.stringify(entity) };
  };

  const expectNoPlaintext = (text: string): void => {
    for (const plaintext of plaintexts) expect(text).not.toContain(plaintext);
  };

  it("round-trips secrets and header values, storing none of them in plaintext", async () => {
    const client = tableClient(freshTableName("Sealed"));
    const store = storeOver(client, testEncryptionKeys("k1"));
    await store.create("wh-1", withHeader, SECRET);
    await store.rotateSecret("wh-1", NEXT_SECRET, new Date("2026-01-02T00:00:00Z"));

    const { entity, text } = await rawRow(client, "wh-1");
    expectNoPlaintext(text);
    expect(entity).toMatchObject({
      secret: expect.stringMatching(/^enc:v1:k1:/),
      previousSecret: expect.stringMatching(/^enc:v1:k1:/),
      headers: expect.stringMatching(/^enc:v1:k1:/),
    });
    const read = await store.get("wh-1");
    expect(read?.webhook.headers).toEqual(withHeader.headers);
    expect(read?.secrets).toMatchObject({ current: NEXT_SECRET, previous: SECRET });
    expect((await store.list())[0]?.secrets.current).toBe(NEXT_SECRET);
  });

  it("reads a row written before encryption and seals it on the webhook's next write", async () => {
    const client = tableClient(freshTableName("Legacy"));
    await client.createTable();
    await client.createEntity({
      partitionKey: WEBHOOK_PARTITION,
      rowKey: "wh-old",
      url: input.url,
      subscriptions: JSON.stringify(input.subscriptions),
      attributes: JSON.stringify(input.attributes),
      headers: JSON.stringify(withHeader.headers),
      disabled: false,
      secret: SECRET,
      createdAt: "2025-01-01T00:00:00.000Z",
      updatedAt: "2025-01-01T00:00:00.000Z",
    });
    const store = storeOver(client, testEncryptionKeys("k1"));

    const read = await store.get("wh-old");
    expect(read?.secrets).toEqual({ current: SECRET });
    expect(read?.webhook.headers).toEqual(withHeader.headers);

    await store.disable("wh-old", "receiver answered 410 Gone");
    const { entity, text } = await rawRow(client, "wh-old");
    expectNoPlaintext(text);
    expect(entity).toMatchObject({ secret: expect.stringMatching(/^enc:v1:k1:/), disabled: true });
    expect((await store.get("wh-old"))?.secrets).toEqual({ current: SECRET });
    expect((await store.get("wh-old"))?.webhook.headers).toEqual(withHeader.headers);
  });

  it("reads rows sealed with an old key listed second, and seals new writes with the first key", async () => {
    const client = tableClient(freshTableName("Rotation"));
    const [oldKey] = testEncryptionKeys("old");
    const [newKey] = testEncryptionKeys("new");
    await storeOver(client, [oldKey]).create("wh-1", withHeader, SECRET);

    const rotated = storeOver(client, [newKey, oldKey]);
    expect((await rotated.get("wh-1"))?.secrets.current).toBe(SECRET);
    await rotated.create("wh-2", withHeader, NEXT_SECRET);
    expect((await rawRow(client, "wh-2")).entity.secret).toMatch(/^enc:v1:new:/);

    // Any write re-seals the old row under the new key; then the old key is no longer needed for it.
    const replaced = await rotated.replace("wh-1", withHeader);
    expect(replaced.kind).toBe("replaced");
    const { entity, text } = await rawRow(client, "wh-1");
    expectNoPlaintext(text);
    expect(entity).toMatchObject({
      secret: expect.stringMatching(/^enc:v1:new:/),
      headers: expect.stringMatching(/^enc:v1:new:/),
    });
    const newOnly = storeOver(client, [newKey]);
    expect((await newOnly.list()).map((s) => s.secrets.current).sort()).toEqual([SECRET, NEXT_SECRET].sort());
  });

  it("refuses rows whose key is not listed or does not match, naming the setting and no secret", async () => {
    const client = tableClient(freshTableName("WrongKey"));
    await storeOver(client, testEncryptionKeys("k1")).create("wh-1", withHeader, SECRET);

    const missingKey = storeOver(client, testEncryptionKeys("k2"));
    const wrongKey = storeOver(client, testEncryptionKeys("k1"));
    for (const store of [missingKey, wrongKey]) {
      for (const read of [store.get("wh-1"), store.list()]) {
        const error = await read.then(
          () => new Error("expected the read to fail"),
          (e: unknown) => e as Error,
        );
        expect(error.message).toMatch(/^Webhooks table: \w+ of webhook wh-1 .*SECRETS_ENCRYPTION_KEYS/);
        expectNoPlaintext(error.message);
      }
    }
    await expect(missingKey.get("wh-1")).rejects.toThrow(
      /key "k1", which SECRETS_ENCRYPTION_KEYS does not list/,
    );
    await expect(wrongKey.get("wh-1")).rejects.toThrow(
      /does not verify under SECRETS_ENCRYPTION_KEYS key "k1"/,
    );
  });

  it("refuses a row whose ciphertext was altered in the table", async () => {
    const client = tableClient(freshTableName("Tampered"));
    const store = storeOver(client, testEncryptionKeys("k1"));
    await store.create("wh-1", withHeader, SECRET);
    const { entity } = await rawRow(client, "wh-1");
    const parts = String(entity.secret).split(":");
    const body = Buffer.from(parts[4] ?? "", "base64");
    body[0] = (body[0] ?? 0) ^ 0x01;
    parts[4] = body.toString("base64");
    await client.updateEntity(
      { partitionKey: WEBHOOK_PARTITION, rowKey: "wh-1", secret: parts.join(":") },
      "Merge",
    );

    await expect(store.get("wh-1")).rejects.toThrow(
      /^Webhooks table: secret of webhook wh-1 does not verify under SECRETS_ENCRYPTION_KEYS key "k1"/,
    );
    await expect(store.list()).rejects.toThrow(/secret of webhook wh-1 does not verify/);
  });
});
