import { makeTableRejectedEventsStore } from "../../adapters/tables/rejectedEvents";
import { bodyOf, httpRequest } from "../../test-support/http";
import { freshTableName, tableClient } from "../../test-support/storage";
import { makeRejectedEventsApi } from "./rejectedEventsApi";

describe("admin API: rejected events", () => {
  it("lists rejections with their reasons, and the raw body only when revealed", async () => {
    const rejected = makeTableRejectedEventsStore(tableClient(freshTableName("Rejected")));
    await rejected.record([
      {
        hub: "io-events",
        partitionId: "1",
        sequenceNumber: 4,
        reasons: ["/name: unknown"],
        raw: '{"name":"x"}',
      },
    ]);
    const api = makeRejectedEventsApi({ rejected });
    const listed = bodyOf(await api.list(httpRequest({ method: "GET", path: "/api/rejected-events" })));
    expect(listed.items).toEqual([
      { hub: "io-events", partitionId: "1", sequenceNumber: 4, reasons: ["/name: unknown"] },
    ]);
    const revealed = bodyOf(
      await api.list(httpRequest({ method: "GET", path: "/x", query: { reveal: "raw" } })),
    );
    expect(revealed.items[0].raw).toBe('{"name":"x"}');
    expect((await api.list(httpRequest({ method: "GET", path: "/x", query: { limit: "0" } }))).status).toBe(
      400,
    );
  });
});
