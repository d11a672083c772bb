import { type HttpRequest, type HttpResponseInit } from "@azure/functions";

import { type RejectedEventsStore } from "../../adapters/tables/rejectedEvents";
import { json, problem } from "../http/problem";

/**
 * Operators' view of events that did not decode: where they sat in the hub and why they were refused. The raw
 * body may hold personal data, so it is shown only with `?reveal=raw`.
 */
export const makeRejectedEventsApi = (deps: { rejected: RejectedEventsStore }) => ({
  list: async (request: HttpRequest): Promise<HttpResponseInit> => {
    const limitText = request.query.get("limit") ?? "100";
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return problem(400, "Invalid query", [
        { path: "?limit", message: "must be an integer from 1 to 1000" },
      ]);
    }
    const partitionId = request.query.get("partitionId") ?? undefined;
    const reveal = (request.query.get("reveal") ?? "").split(",").includes("raw");
    const items = await deps.rejected.list({ limit, ...(partitionId === undefined ? {} : { partitionId }) });
    return json(200, { items: items.map((item) => (reveal ? item : { ...item, raw: undefined })) });
  },
});
