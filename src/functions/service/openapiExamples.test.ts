import { type HttpResponseInit } from "@azure/functions";
import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { DeadLetter, makeTableDeadLetterStore } from "../../adapters/tables/deadLetters";
import { DeliveryAttempt, makeTableDeliveryLog } from "../../adapters/tables/deliveryLog";
import { type StorageCheck } from "../../adapters/tables/storageProbe";
import { makeTableWebhookStore } from "../../adapters/tables/webhookStore";
import { blockedHostLiteralReason } from "../../domain/addressPolicy";
import { fieldErrorsOf } from "../../domain/fieldErrors";
import { WebhookInputBody } from "../../domain/webhookInput";
import { fakeStarter } from "../../test-support/fakeStarter";
import { headerOf, httpRequest } from "../../test-support/http";
import { type JsonSchema, type SchemaDocument, schemaErrors } from "../../test-support/jsonSchema";
import { testSecretCipher } from "../../test-support/secrets";
import { freshTableName, tableClient } from "../../test-support/storage";
import { Accepted, makeDeliveryRecordsApi } from "../deliveryRecords/deliveryRecordsApi";
import { Recovery, recoveryInstanceId } from "../deliveryRecords/recovery";
import { makeRecoveryApi } from "../deliveryRecords/recoveryApi";
import { Problem } from "../http/problem";
import { makeWebhooksApi } from "../webhooks/webhooksApi";
import { SecretRotated, WebhookCreated, WebhookList, WebhookView } from "../webhooks/webhookView";
import { Health, makeHealthCheck } from "./health";
import { openApiDocument } from "./openapiDocument";

interface Operation {
  readonly requestBody?: { readonly content: Readonly<Record<string, { readonly schema: JsonSchema }>> };
  readonly responses: Readonly<
    Record<string, { readonly content?: Readonly<Record<string, { readonly schema: JsonSchema }>> }>
  >;
}
const doc: SchemaDocument = openApiDocument;
const paths = openApiDocument.paths as unknown as Readonly<
  Record<string, Readonly<Record<string, Operation>>>
>;

const codecErrors = (codec: t.Mixed, value: unknown): ReadonlyArray<string> => {
  const decoded = codec.decode(value);
  return E.isLeft(decoded) ? fieldErrorsOf(decoded.left).map((e) => `${e.path}: ${e.message}`) : [];
};

/** The answer as it goes on the wire decodes with `codec` and satisfies the schema documented for it. */
const expectDocumented = (response: HttpResponseInit, route: string, codec: t.Mixed): void => {
  const [method = "", path = ""] = route.split(" ");
  const contentType = headerOf(response, "content-type") ?? "";
  const schema = paths[path]?.[method]?.responses[String(response.status)]?.content?.[contentType]?.schema;
  expect({ route, status: response.status, contentType, documented: schema !== undefined }).toEqual({
    route,
    status: response.status,
    contentType,
    documented: true,
  });
  const body: unknown = JSON.parse(JSON.stringify(response.jsonBody));
  expect({ route, codec: codec.name, errors: codecErrors(codec, body) }).toEqual({
    route,
    codec: codec.name,
    errors: [],
  });
  expect({ route, errors: schemaErrors(doc, schema!, body) }).toEqual({ route, errors: [] });
};

const ListOf = <C extends t.Mixed>(codec: C) => t.type({ items: t.array(codec) }, `ListOf${codec.name}`);

const clock = { now: () => new Date("2026-01-01T00:00:00Z") };
const valid = {
  url: "https://receiver.example/hook",
  subscriptions: ["ping", "service:subscribed"],
  attributes: { name: "wh1", serviceId: "aServiceId12345" },
  headers: { authorization: "Bearer token-value" },
};

const setup = () => {
  let n = 0;
  const store = makeTableWebhookStore(tableClient(freshTableName("DocWebhooks")), clock, testSecretCipher());
  const deadLetters = makeTableDeadLetterStore(tableClient(freshTableName("DocDead")));
  const log = makeTableDeliveryLog(tableClient(freshTableName("DocLog")));
  const webhooks = makeWebhooksApi({
    store,
    policy: () => ({ allowInsecure: false, blockedHostReason: blockedHostLiteralReason }),
    clock,
    newId: () => `wh${++n}`,
    newSecret: () => `whsec_${Buffer.from(`secret-${++n}-padding-padding-padding`).toString("base64")}`,
    rotationGraceMs: () => 3600_000,
  });
  const records = makeDeliveryRecordsApi({
    webhooks: store,
    deadLetters,
    log,
    settings: () => ({ chunkSize: 50, retrySchedule: [0] }),
    clock,
    newId: () => `id${++n}`,
  });
  return { store, deadLetters, log, webhooks, records, ...fakeStarter() };
};

const REVEALS: ReadonlyArray<Record<string, string>> = [{}, { reveal: "headers" }];

const byId = (method: string, path: string, id: string, query: Record<string, string> = {}) =>
  httpRequest({ method, path, params: { id }, query });

describe("real answers decode with their codec and satisfy their OpenAPI schema", () => {
  it("create, rotate-secret, get, list and replace answer as documented, optional fields present, headers masked or not", async () => {
    const s = setup();
    const created = await s.webhooks.create(
      httpRequest({ method: "POST", path: "/api/webhooks", body: valid }),
    );
    expectDocumented(created, "post /api/webhooks", WebhookCreated);
    const { id } = created.jsonBody as WebhookCreated;
    expectDocumented(
      await s.webhooks.rotateSecret(byId("POST", "/x", id)),
      "post /api/webhooks/{id}/rotate-secret",
      SecretRotated,
    );
    await s.store.disable(id, "receiver answered 410 Gone");
    for (const query of REVEALS) {
      const read = await s.webhooks.get(byId("GET", "/x", id, query));
      expect(read.jsonBody).toMatchObject({
        disabledReason: expect.any(String),
        previousSecretValidUntil: expect.any(String),
      });
      expectDocumented(read, "get /api/webhooks/{id}", WebhookView);
      expectDocumented(
        await s.webhooks.list(httpRequest({ method: "GET", path: "/x", query })),
        "get /api/webhooks",
        WebhookList,
      );
    }
    const replaced = await s.webhooks.replace(
      httpRequest({ method: "PUT", path: "/x", params: { id }, body: { ...valid, disabled: true } }),
    );
    expectDocumented(replaced, "put /api/webhooks/{id}", WebhookView);
  });

  it("an invalid body, a missing webhook and a stale If-Match answer documented problems", async () => {
    const s = setup();
    const invalid = { url: "http://127.0.0.1/x", subscriptions: ["nope"], extra: 1 };
    const refused = await s.webhooks.create(httpRequest({ method: "POST", path: "/x", body: invalid }));
    expect((refused.jsonBody as Problem).errors.length).toBeGreaterThan(0);
    expectDocumented(refused, "post /api/webhooks", Problem);
    expectDocumented(await s.webhooks.get(byId("GET", "/x", "nope")), "get /api/webhooks/{id}", Problem);
    const created = await s.webhooks.create(httpRequest({ method: "POST", path: "/x", body: valid }));
    const { id } = created.jsonBody as WebhookCreated;
    const stale = await s.webhooks.replace(
      httpRequest({
        method: "PUT",
        path: "/x",
        params: { id },
        body: valid,
        headers: { "if-match": "W/\"datetime'2020-01-01T00%3A00%3A00Z'\"" },
      }),
    );
    expect(stale.status).toBe(412);
    expectDocumented(stale, "put /api/webhooks/{id}", Problem);
  });

  it("dead letters, the delivery log, an invalid limit, ping and replay answer as documented", async () => {
    const s = setup();
    const { id } = (await s.webhooks.create(httpRequest({ method: "POST", path: "/x", body: valid })))
      .jsonBody as WebhookCreated;
    const letter: DeadLetter = {
      deliveryId: "msg_dead",
      webhookId: id,
      eventId: "0:1",
      subject: "a subject",
      url: valid.url,
      body: JSON.stringify({ name: "ping", payload: { name: "wh1" } }),
      headers: { authorization: "Bearer token-value" },
      attempts: 8,
      lastStatus: 503,
      lastError: "timeout",
      reason: "retries exhausted",
      firstAttemptAt: "2026-01-01T00:00:00.000Z",
      deadLetteredAt: "2026-01-01T03:00:00.000Z",
    };
    await s.deadLetters.put([letter]);
    const attempt: DeliveryAttempt = {
      webhookId: id,
      deliveryId: "msg_dead",
      eventName: "ping",
      attempt: 1,
      outcome: "retryable",
      status: 503,
      error: "timeout",
      latencyMs: 12,
      at: "2026-01-01T00:00:00.000Z",
    };
    await s.log.record([
      attempt,
      { ...attempt, attempt: 2, outcome: "delivered", status: 200, error: undefined },
    ]);
    for (const query of REVEALS) {
      expectDocumented(
        await s.records.listDeadLetters(httpRequest({ method: "GET", path: "/x", query })),
        "get /api/dead-letters",
        ListOf(DeadLetter),
      );
    }
    expectDocumented(
      await s.records.listDeliveries(byId("GET", "/x", id)),
      "get /api/webhooks/{id}/deliveries",
      ListOf(DeliveryAttempt),
    );
    expectDocumented(
      await s.records.listDeliveries(byId("GET", "/x", id, { limit: "0" })),
      "get /api/webhooks/{id}/deliveries",
      Problem,
    );
    expectDocumented(
      await s.records.ping(byId("POST", "/x", id), s.starter),
      "post /api/webhooks/{id}/ping",
      Accepted,
    );
    expectDocumented(
      await s.records.replayDeadLetter(byId("POST", "/x", "msg_dead"), s.starter),
      "post /api/dead-letters/{id}/replay",
      Accepted,
    );
  });

  it("recover (202, 400, 404) and a recovery's state (running, completed, 404) answer as documented", async () => {
    const s = setup();
    const { id } = (await s.webhooks.create(httpRequest({ method: "POST", path: "/x", body: valid })))
      .jsonBody as WebhookCreated;
    const recovery = makeRecoveryApi({
      webhooks: s.store,
      deadLetters: s.deadLetters,
      clock,
      newId: () => "r1",
    });
    const recover = (webhookId: string, body: unknown) =>
      httpRequest({ method: "POST", path: "/x", params: { id: webhookId }, body });
    const route = "post /api/webhooks/{id}/recover";
    const accepted = await recovery.start(recover(id, { since: "2025-12-31T00:00:00Z" }), s.starter);
    expectDocumented(accepted, route, Recovery);
    expectDocumented(await recovery.start(recover(id, { since: "soon" }), s.starter), route, Problem);
    expectDocumented(
      await recovery.start(recover("nope", { since: "2025-12-31T00:00:00Z" }), s.starter),
      route,
      Problem,
    );
    const input = s.started.get(recoveryInstanceId(id, "r1"))?.input;
    const get = (output: unknown) =>
      recovery.get(httpRequest({ method: "GET", path: "/x", params: { id, recoveryId: "r1" } }), {
        status: () =>
          Promise.resolve({
            runtimeStatus: output === null ? "Running" : "Completed",
            input,
            customStatus: input,
            output,
            lastUpdatedTime: "2026-01-01T00:00:01.000Z",
          }),
      });
    const getRoute = "get /api/webhooks/{id}/recoveries/{recoveryId}";
    expectDocumented(await get(null), getRoute, Recovery);
    const done = { ...(input as object), outcome: "completed", finishedAt: "2026-01-01T00:00:01.000Z" };
    expectDocumented(await get(done), getRoute, Recovery);
    const unknown = await recovery.get(
      httpRequest({ method: "GET", path: "/x", params: { id, recoveryId: "r2" } }),
      { status: () => Promise.resolve(undefined) },
    );
    expectDocumented(unknown, getRoute, Problem);
  });

  it("health answers as documented, ok and degraded", async () => {
    const checks: StorageCheck[] = [{ kind: "unreachable", error: "connection-refused" }, { kind: "ok" }];
    const health = makeHealthCheck({
      probe: () => Promise.resolve(checks.shift() ?? { kind: "ok" }),
      clock: { now: () => new Date() },
      version: "1.0.0",
      cacheMs: 0,
    });
    expectDocumented(await health(), "get /api/health", Health);
    expectDocumented(await health(), "get /api/health", Health);
  });

  it("bodies the API accepts decode as WebhookInputBody and satisfy the documented request schema", () => {
    const schema = paths["/api/webhooks"]?.post?.requestBody?.content["application/json"]?.schema;
    for (const body of [valid, { ...valid, disabled: true }, { url: valid.url, subscriptions: ["ping"] }]) {
      expect(codecErrors(WebhookInputBody, body)).toEqual([]);
      expect(schemaErrors(doc, schema!, body)).toEqual([]);
    }
  });

  it("the schema check reports a missing, an undeclared and a mistyped field, never their values", async () => {
    const s = setup();
    const created = await s.webhooks.create(httpRequest({ method: "POST", path: "/x", body: valid }));
    const { id: _, ...body } = created.jsonBody as WebhookCreated;
    const broken = { ...body, disabled: "no", extra: 1 };
    expect(schemaErrors(doc, { $ref: "#/components/schemas/WebhookCreated" }, broken)).toEqual([
      "/id: is required",
      "/disabled: must be a boolean",
      "/extra: is not described by the schema",
    ]);
  });
});
