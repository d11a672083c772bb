import { makeTableWebhookStore } from "../../adapters/tables/webhookStore";
import { blockedHostLiteralReason } from "../../domain/addressPolicy";
import { bodyOf, headerOf, httpRequest } from "../../test-support/http";
import { testSecretCipher } from "../../test-support/secrets";
import { freshTableName, tableClient } from "../../test-support/storage";
import { makeWebhooksApi } from "./webhooksApi";

const valid = {
  url: "https://receiver.example/hook",
  subscriptions: ["ping", "service:subscribed"],
  attributes: { name: "wh2", serviceId: "aServiceId12345" },
  headers: { authorization: "Bearer s3cr3t-token" },
};

const setup = () => {
  let ids = 0;
  let secrets = 0;
  const now = new Date("2026-01-01T00:00:00Z");
  const store = makeTableWebhookStore(
    tableClient(freshTableName("ApiWebhooks")),
    { now: () => now },
    testSecretCipher(),
  );
  const api = makeWebhooksApi({
    store,
    policy: () => ({ allowInsecure: false, blockedHostReason: blockedHostLiteralReason }),
    clock: { now: () => now },
    newId: () => `wh_${++ids}`,
    newSecret: () => `whsec_${Buffer.from(`secret-number-${++secrets}-padding-bytes`).toString("base64")}`,
    rotationGraceMs: () => 24 * 3600 * 1000,
  });
  const create = (body: unknown = valid) =>
    api.create(httpRequest({ method: "POST", path: "/api/webhooks", body }));
  return { api, store, create };
};

describe("admin API: webhooks (handlers over the real store on Azurite)", () => {
  it("creates a webhook: 201, id, ETag, Location and the secret, headers masked", async () => {
    const { create } = setup();
    const response = await create();
    expect(response.status).toBe(201);
    const body = bodyOf(response);
    expect(body).toMatchObject({
      id: "wh_1",
      url: valid.url,
      subscriptions: valid.subscriptions,
      disabled: false,
    });
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32,}$/);
    expect(Buffer.from(body.secret.slice(6), "base64").length).toBeGreaterThanOrEqual(24);
    expect(body.headers).toEqual({ authorization: "***" });
    expect(headerOf(response, "etag")).toBeTruthy();
    expect(headerOf(response, "location")).toBe("/api/webhooks/wh_1");
  });

  it("never shows the secret again, and shows header values only with ?reveal=headers", async () => {
    const { api, create } = setup();
    const { secret } = bodyOf(await create());
    const read = await api.get(
      httpRequest({ method: "GET", path: "/api/webhooks/wh_1", params: { id: "wh_1" } }),
    );
    const listed = await api.list(httpRequest({ method: "GET", path: "/api/webhooks" }));
    expect(JSON.stringify([bodyOf(read), bodyOf(listed)])).not.toContain(secret.slice(6));
    expect(JSON.stringify([bodyOf(read), bodyOf(listed)])).not.toContain("s3cr3t-token");
    expect(bodyOf(listed).items).toHaveLength(1);
    const revealed = await api.get(
      httpRequest({
        method: "GET",
        path: "/api/webhooks/wh_1",
        params: { id: "wh_1" },
        query: { reveal: "headers" },
      }),
    );
    expect(bodyOf(revealed).headers).toEqual(valid.headers);
  });

  it("answers 400 problem+json with every field path for an invalid body", async () => {
    const { create, api } = setup();
    const response = await create({ url: "http://127.0.0.1/x", subscriptions: ["nope"], extra: 1 });
    expect(response.status).toBe(400);
    expect(headerOf(response, "content-type")).toBe("application/problem+json");
    const problem = bodyOf(response);
    expect(problem).toMatchObject({
      status: 400,
      title: expect.any(String),
      type: expect.stringContaining("validation"),
    });
    expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      "/extra",
      "/subscriptions/0",
      "/url",
    ]);
    expect(bodyOf(await api.list(httpRequest({ method: "GET", path: "/api/webhooks" }))).items).toEqual([]);
  });

  it("answers 400 for malformed JSON, 415 for a non-JSON content type and 413 for a huge body", async () => {
    const { api } = setup();
    const malformed = await api.create(
      httpRequest({ method: "POST", path: "/api/webhooks", rawBody: "{nope" }),
    );
    expect(malformed.status).toBe(400);
    expect(bodyOf(malformed).detail).toContain("not valid JSON");
    const text = await api.create(
      httpRequest({
        method: "POST",
        path: "/api/webhooks",
        rawBody: "x",
        headers: { "content-type": "text/plain" },
      }),
    );
    expect(text.status).toBe(415);
    const huge = await api.create(
      httpRequest({ method: "POST", path: "/api/webhooks", body: { ...valid, pad: "x".repeat(70_000) } }),
    );
    expect(huge.status).toBe(413);
  });

  it("replaces with If-Match: 200 with a new ETag, 412 for a stale one, 404 for a missing id", async () => {
    const { api, create } = setup();
    const etag = headerOf(await create(), "etag")!;
    const put = (ifMatch: string | undefined, id = "wh_1") =>
      api.replace(
        httpRequest({
          method: "PUT",
          path: `/api/webhooks/${id}`,
          params: { id },
          body: { ...valid, disabled: true },
          headers: ifMatch === undefined ? {} : { "if-match": ifMatch },
        }),
      );
    const replaced = await put(etag);
    expect(replaced.status).toBe(200);
    expect(bodyOf(replaced).disabled).toBe(true);
    expect(headerOf(replaced, "etag")).not.toBe(etag);
    expect((await put(etag)).status).toBe(412);
    expect((await put(undefined, "wh_missing")).status).toBe(404);
  });

  it("deletes: 204 then 404", async () => {
    const { api, create } = setup();
    await create();
    const del = () =>
      api.remove(httpRequest({ method: "DELETE", path: "/api/webhooks/wh_1", params: { id: "wh_1" } }));
    expect((await del()).status).toBe(204);
    expect((await del()).status).toBe(404);
  });

  it("rotates the secret: 200 with the new one, the previous one kept for the grace period", async () => {
    const { api, create, store } = setup();
    const { secret: first } = bodyOf(await create());
    const rotated = await api.rotateSecret(
      httpRequest({ method: "POST", path: "/api/webhooks/wh_1/rotate-secret", params: { id: "wh_1" } }),
    );
    expect(rotated.status).toBe(200);
    expect(bodyOf(rotated)).toEqual({
      secret: expect.stringMatching(/^whsec_/),
      previousSecretValidUntil: "2026-01-02T00:00:00.000Z",
    });
    expect(bodyOf(rotated).secret).not.toBe(first);
    expect((await store.get("wh_1"))?.secrets).toMatchObject({
      current: bodyOf(rotated).secret,
      previous: first,
    });
    const missing = await api.rotateSecret(
      httpRequest({ method: "POST", path: "/api/webhooks/x/rotate-secret", params: { id: "x" } }),
    );
    expect(missing.status).toBe(404);
  });
});
