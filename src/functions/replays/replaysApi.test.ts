import { makeTableReplayStore } from "../../adapters/tables/replays";
import { makeTableWebhookStore } from "../../adapters/tables/webhookStore";
import { fakeStarter } from "../../test-support/fakeStarter";
import { bodyOf, headerOf, httpRequest } from "../../test-support/http";
import { testSecretCipher } from "../../test-support/secrets";
import { freshTableName, tableClient } from "../../test-support/storage";
import { makeReplaysApi } from "./replaysApi";

/** The replays routes over real tables (Azurite); the clock moves a minute per replay started. */
const setup = async () => {
  let minutes = 0;
  let n = 0;
  const clock = { now: () => new Date(Date.parse("2026-03-02T10:00:00Z") + minutes * 60_000) };
  const webhooks = makeTableWebhookStore(tableClient(freshTableName("Wh")), clock, testSecretCipher());
  const replays = makeTableReplayStore(tableClient(freshTableName("Replays")));
  for (const id of ["wh1", "wh2"])
    await webhooks.create(
      id,
      {
        url: "https://receiver.example/hook",
        subscriptions: ["ping"],
        attributes: { name: id },
        headers: {},
        disabled: false,
      },
      "whsec_x",
    );
  const api = makeReplaysApi({
    webhooks,
    replays,
    clock,
    newId: () => `wh_${String(++n).padStart(3, "0")}`,
    retentionDays: () => 7,
    settings: () => ({ chunkSize: 50, retrySchedule: [0] }),
  });
  const { starter } = fakeStarter();
  const start = async (webhookId: string) => {
    minutes++;
    const response = await api.start(
      httpRequest({
        method: "POST",
        path: `/api/webhooks/${webhookId}/replays`,
        params: { id: webhookId },
        body: { from: "2026-03-01T10:00:00Z" },
      }),
      starter,
    );
    expect(response.status).toBe(202);
    return bodyOf(response).id as string;
  };
  const list = (webhookId: string, query: Record<string, string> = {}) =>
    api.list(
      httpRequest({
        method: "GET",
        path: `/api/webhooks/${webhookId}/replays`,
        params: { id: webhookId },
        query,
      }),
    );
  return { api, start, list };
};

describe("admin API: replays", () => {
  it("lists a webhook's replays newest first, as GET shows each, and only that webhook's", async () => {
    const s = await setup();
    const first = await s.start("wh1");
    const other = await s.start("wh2");
    const second = await s.start("wh1");
    const third = await s.start("wh1");

    const response = await s.list("wh1");
    expect(response.status).toBe(200);
    const items = bodyOf(response).items as Array<{ id: string }>;
    expect(items.map((r) => r.id)).toEqual([third, second, first]);
    expect(items).not.toContainEqual(expect.objectContaining({ id: other }));
    const one = await s.api.get(
      httpRequest({
        method: "GET",
        path: `/api/webhooks/wh1/replays/${second}`,
        params: { id: "wh1", replayId: second },
      }),
    );
    expect(items[1]).toEqual(bodyOf(one));
    expect(items[1]).toMatchObject({
      state: "running",
      from: "2026-03-01T10:00:00.000Z",
      startedAt: "2026-03-02T10:03:00.000Z",
    });
  });

  it("bounds the page with ?limit, keeping the newest", async () => {
    const s = await setup();
    await s.start("wh1");
    const second = await s.start("wh1");
    const third = await s.start("wh1");
    const page = await s.list("wh1", { limit: "2" });
    expect((bodyOf(page).items as Array<{ id: string }>).map((r) => r.id)).toEqual([third, second]);
  });

  it.each(["0", "101", "x", "1.5"])("refuses ?limit=%s with a problem naming it", async (limit) => {
    const s = await setup();
    const response = await s.list("wh1", { limit });
    expect(response.status).toBe(400);
    expect(bodyOf(response).errors).toEqual([
      { path: "?limit", message: "must be an integer from 1 to 100" },
    ]);
  });

  it("answers an empty list for a webhook with no replays, and 404 for an unknown webhook", async () => {
    const s = await setup();
    const empty = await s.list("wh1");
    expect(empty.status).toBe(200);
    expect(bodyOf(empty)).toEqual({ items: [] });
    expect((await s.list("nope")).status).toBe(404);
    expect(headerOf(empty, "location")).toBeUndefined();
  });
});
