import { makeTableDeadLetterStore } from "../../adapters/tables/deadLetters";
import { makeTableSubjectStreams } from "../../adapters/tables/subjectStreams";
import { bodyOf, httpRequest } from "../../test-support/http";
import { freshTableName, tableClient } from "../../test-support/storage";
import { SUBJECT_ACTION_EVENT } from "../dispatch/dispatchOrchestrator";
import { makeSubjectsApi } from "./subjectsApi";

const at = "2026-12-02T00:00:00.000Z";

const setup = async () => {
  const streams = makeTableSubjectStreams(tableClient(freshTableName("Streams")));
  await streams.number([
    { deliveryId: "w1", webhookId: "wh1", subjectId: "sub_W", partitionId: "0", sequenceNumber: 0 },
    { deliveryId: "b1", webhookId: "wh1", subjectId: "sub_B", partitionId: "0", sequenceNumber: 1 },
    { deliveryId: "f1", webhookId: "wh1", subjectId: "sub_F", partitionId: "0", sequenceNumber: 2 },
  ]);
  await streams.apply([
    {
      webhookId: "wh1",
      subjectId: "sub_W",
      event: {
        kind: "failed",
        n: 1,
        deliveryId: "w1",
        attempts: 2,
        at,
        holder: "dispatch:x",
        lastStatus: 503,
      },
    },
    {
      webhookId: "wh1",
      subjectId: "sub_B",
      event: { kind: "dead-lettered", n: 1, deliveryId: "b1", at, block: true, attempts: 3 },
    },
    { webhookId: "wh1", subjectId: "sub_F", event: { kind: "delivered", n: 1, deliveryId: "f1" } },
  ]);
  const raised: unknown[] = [];
  const replayed: string[] = [];
  const api = makeSubjectsApi({
    webhooks: { get: (id) => Promise.resolve(id === "wh1" ? ({ webhook: { id } } as never) : undefined) },
    streams,
    deadLetters: makeTableDeadLetterStore(tableClient(freshTableName("Dead"))),
    replay: (deliveryId) => {
      replayed.push(deliveryId);
      return Promise.resolve({ status: 202 });
    },
  });
  const signaller = {
    raise: (instanceId: string, name: string, data: unknown) => {
      raised.push([instanceId, name, data]);
      return Promise.resolve(true);
    },
  };
  const post = (subjectId: string, action: "skip" | "retry-now") =>
    (action === "skip" ? api.skip : api.retryNow)(
      httpRequest({ method: "POST", path: "/", params: { id: "wh1", subjectId } }),
      signaller,
    );
  return { api, streams, raised, replayed, post };
};

describe("held subjects API", () => {
  it("lists held subjects (all, or by state) with their head, never a subject itself", async () => {
    const s = await setup();
    const all = bodyOf(await s.api.list(httpRequest({ method: "GET", path: "/", params: { id: "wh1" } })));
    expect(all.items.map((i: { subjectId: string; state: string }) => [i.subjectId, i.state]).sort()).toEqual(
      [
        ["sub_B", "blocked"],
        ["sub_W", "waiting"],
      ],
    );
    const waiting = bodyOf(
      await s.api.list(
        httpRequest({ method: "GET", path: "/", params: { id: "wh1" }, query: { state: "waiting" } }),
      ),
    );
    expect(waiting.items).toEqual([
      {
        subjectId: "sub_W",
        state: "waiting",
        settledSeq: 0,
        headDeliveryId: "w1",
        headSequence: 1,
        attempts: 2,
        since: at,
        lastStatus: 503,
      },
    ]);
    const bad = await s.api.list(
      httpRequest({ method: "GET", path: "/", params: { id: "wh1" }, query: { state: "x" } }),
    );
    expect(bad.status).toBe(400);
    expect(bodyOf(bad).errors).toEqual([{ path: "?state", message: "must be waiting or blocked" }]);
    expect((await s.api.list(httpRequest({ method: "GET", path: "/", params: { id: "nope" } }))).status).toBe(
      404,
    );
  });

  it("asks the holding orchestration to act on a waiting head", async () => {
    const s = await setup();
    expect((await s.post("sub_W", "retry-now")).status).toBe(202);
    expect((await s.post("sub_W", "skip")).status).toBe(202);
    expect(s.raised).toEqual([
      ["dispatch:x", SUBJECT_ACTION_EVENT, { action: "retry-now", deliveryId: "w1" }],
      ["dispatch:x", SUBJECT_ACTION_EVENT, { action: "skip", deliveryId: "w1" }],
    ]);
  });

  it("skips a blocked head by moving the subject on; retry-now needs its dead letter", async () => {
    const s = await setup();
    const retry = await s.post("sub_B", "retry-now");
    expect(retry.status).toBe(409);
    expect(s.replayed).toEqual([]);
    const skipped = await s.post("sub_B", "skip");
    expect(skipped.status).toBe(200);
    expect(bodyOf(skipped)).toMatchObject({ subjectId: "sub_B", state: "flowing", settledSeq: 1 });
    expect((await s.post("sub_B", "skip")).status).toBe(409);
  });

  it("answers 409 for a subject with nothing held and 404 for an unknown one", async () => {
    const s = await setup();
    expect((await s.post("sub_F", "skip")).status).toBe(409);
    expect((await s.post("sub_nope", "retry-now")).status).toBe(404);
  });
});
