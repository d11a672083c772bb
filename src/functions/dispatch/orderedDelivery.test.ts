import { Webhook as Verifier } from "standardwebhooks";

import { startServer } from "../../adapters/delivery/testServers";
import { makeWebhookSender } from "../../adapters/delivery/webhookSender";
import { withReadThroughCache } from "../../adapters/tables/cachedWebhookStore";
import { makeTableDeadLetterStore } from "../../adapters/tables/deadLetters";
import { makeTableDeliveryLog } from "../../adapters/tables/deliveryLog";
import { makeTableSubjectStreams } from "../../adapters/tables/subjectStreams";
import { makeTableWebhookStore } from "../../adapters/tables/webhookStore";
import { type DeliveryReport, type PendingDelivery } from "../../domain/dispatch";
import { type IncomingEvent } from "../../domain/events";
import { streamKey, subjectIdOf } from "../../domain/ordering";
import { testSecretCipher } from "../../test-support/secrets";
import { freshTableName, tableClient } from "../../test-support/storage";
import { makeNumbering } from "../ingest/numbering";
import { makeDeadLetterActivity, makeDeliverActivity, makePlanActivity } from "./dispatchActivities";

// The deliver activity's waves for a per-subject webhook: real receiver, real tables on Azurite.

const SECRET = `whsec_${Buffer.from("a-test-secret-of-32-bytes-long!!").toString("base64")}`;
const clock = { now: () => new Date() };
const A = "AAAAAA00A00A000A";
const B = "BBBBBB00B00B000B";

const setup = async (fail: (fiscalCode: string, sequence: string) => boolean) => {
  const server = await startServer((request, response) => {
    const { payload } = JSON.parse(request.body) as { payload: { fiscalCode: string } };
    response.writeHead(fail(payload.fiscalCode, request.headers["webhook-sequence"] ?? "") ? 503 : 200).end();
  });
  const store = withReadThroughCache(
    makeTableWebhookStore(tableClient(freshTableName("Wh")), clock, testSecretCipher()),
    30_000,
    clock,
  );
  await store.create(
    "wh1",
    {
      url: `${server.url}/hook`,
      subscriptions: ["service:subscribed"],
      attributes: { serviceId: "svc1" },
      headers: {},
      disabled: false,
      ordering: "per-subject",
    },
    SECRET,
  );
  const streams = makeTableSubjectStreams(tableClient(freshTableName("Streams")));
  const sender = makeWebhookSender({
    connectTimeoutMs: 1000,
    timeoutMs: 2000,
    allowPrivateTargets: true,
    userAgent: "t",
  });
  const deps = {
    webhooks: store,
    sender,
    log: makeTableDeliveryLog(tableClient(freshTableName("Log"))),
    clock,
    streams,
  };
  const deliver = makeDeliverActivity(deps);
  const deadLetter = makeDeadLetterActivity({
    webhooks: store,
    deadLetters: makeTableDeadLetterStore(tableClient(freshTableName("Dead"))),
    clock,
    streams,
  });
  /** Ingest's numbering then the plan, for events A1 B1 A2 B2 A3 on partition 0. */
  const plan = async (): Promise<PendingDelivery[]> => {
    const events = [A, B, A, B, A].map((fiscalCode, i) => ({
      eventId: `0:${i}`,
      event: { name: "service:subscribed", payload: { serviceId: "svc1", fiscalCode } } as IncomingEvent,
      sequenceNumber: i,
    }));
    const sequences = await makeNumbering({ webhooks: store, streams })("0", events);
    const planned = await makePlanActivity({ webhooks: store })({
      events: events.map(({ eventId, event }) => ({ eventId, event })),
      ...(sequences === undefined ? {} : { sequences }),
    });
    return planned.deliveries.map((delivery) => ({ delivery, attempts: 0 }));
  };
  const sent = () =>
    server.requests.map((r) => {
      const { payload } = JSON.parse(r.body) as { payload: { fiscalCode: string } };
      return [
        payload.fiscalCode === A ? "A" : "B",
        r.headers["webhook-sequence"],
        r.headers["webhook-previous-id"] ?? null,
      ];
    });
  return {
    server,
    streams,
    deliver,
    deadLetter,
    plan,
    sent,
    close: async () => {
      await sender.close();
      await server.close();
    },
  };
};

const kinds = (reports: ReadonlyArray<DeliveryReport>) =>
  reports.map((r) =>
    "outcome" in r ? r.outcome.kind : "held" in r ? "held" : "settled" in r ? "settled" : "skipped",
  );

describe("ordered delivery (deliver activity waves)", () => {
  it("sends each subject in order with sequence headers outside the signature, holding only the failing subject", async () => {
    const s = await setup((fiscalCode, sequence) => fiscalCode === A && sequence === "2");
    try {
      const chunk = await s.plan();
      expect(chunk.map((p) => p.delivery.sequence?.n)).toEqual([1, 1, 2, 2, 3]);
      const reports = await s.deliver({
        deliveries: chunk,
        instanceId: "dispatch:test",
        retrySchedule: [0, 5000],
      });
      // Plan order: A1 B1 A2 B2 A3.
      expect(kinds(reports)).toEqual(["delivered", "delivered", "retryable", "delivered", "held"]);
      const ids = chunk.map((p) => p.delivery.id);
      expect(s.sent()).toEqual([
        ["A", "1", null],
        ["B", "1", null],
        ["A", "2", ids[0]],
        ["B", "2", ids[1]],
      ]);
      for (const request of s.server.requests) {
        expect(() => new Verifier(SECRET).verify(request.body, request.headers)).not.toThrow();
      }
      const progress = await s.streams.progress([
        { webhookId: "wh1", subjectId: subjectIdOf("wh1", A) },
        { webhookId: "wh1", subjectId: subjectIdOf("wh1", B) },
      ]);
      expect(progress.get(streamKey("wh1", subjectIdOf("wh1", A)))).toMatchObject({
        settledSeq: 1,
        state: "waiting",
        head: { n: 2, attempts: 1, lastStatus: 503, holder: "dispatch:test" },
      });
      expect(progress.get(streamKey("wh1", subjectIdOf("wh1", B)))).toMatchObject({
        settledSeq: 2,
        state: "flowing",
      });

      // A re-run of the same chunk (the activity's result was lost): only A's head goes again.
      const rerun = await s.deliver({
        deliveries: chunk,
        instanceId: "dispatch:test",
        retrySchedule: [0, 5000],
      });
      expect(kinds(rerun)).toEqual(["settled", "settled", "retryable", "settled", "held"]);
      expect(s.sent().slice(4)).toEqual([["A", "2", ids[0]]]);

      // A2 dead-lettered (continue): A moves past it, and A3 goes, naming A2 as previous.
      const a2 = chunk[2] as PendingDelivery;
      await s.deadLetter([{ pending: { ...a2, attempts: 2 }, reason: "retries exhausted" }]);
      const last = await s.deliver({ deliveries: [chunk[4] as PendingDelivery] });
      expect(kinds(last)).toEqual(["delivered"]);
      expect(s.sent().slice(5)).toEqual([["A", "3", ids[2]]]);
    } finally {
      await s.close();
    }
  });
});
