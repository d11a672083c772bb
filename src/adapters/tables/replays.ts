import { odata, type TableClient } from "@azure/data-tables";
import * as E from "fp-ts/Either";

import { Replay } from "../../domain/replay";
import { statusOf, tableInitializer } from "./tableErrors";

/** Replay records: one row per replay, partition key the webhook id, row key the replay id (replay.ts). */
export interface ReplayStore {
  readonly create: (replay: Replay) => Promise<void>;
  readonly get: (webhookId: string, replayId: string) => Promise<Replay | undefined>;
  /** A webhook's replays, newest first (by startedAt), at most `limit`. */
  readonly list: (webhookId: string, limit: number) => Promise<ReadonlyArray<Replay>>;
  /**
   * Read, change, write under the row's ETag; redone from a fresh read when another writer came first. `change`
   * returns undefined to write nothing. Returns the record as stored afterwards.
   */
  readonly update: (
    webhookId: string,
    replayId: string,
    change: (replay: Replay) => Replay | undefined,
  ) => Promise<Replay | undefined>;
}

const MAX_CONFLICTS = 20;
/**
 * The most rows a list reads from one webhook's partition: row keys are not ordered by time, so a list reads the
 * partition and sorts it. Replays are started by hand, a few per webhook; past this many the oldest are not seen.
 */
export const MAX_LISTED_ROWS = 1000;

interface Row {
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly etag?: string;
  readonly record?: unknown;
}

/** The whole record as one JSON column: it is small (counters and one position per partition). */
const decodeRow = (row: Row): Replay | undefined => {
  const decoded = Replay.decode(typeof row.record === "string" ? JSON.parse(row.record) : undefined);
  // Failure policy: a row this code cannot read is reported as absent rather than guessed at.
  return E.isRight(decoded) ? decoded.right : undefined;
};

export const makeTableReplayStore = (client: TableClient): ReplayStore => {
  const ready = tableInitializer(client);
  const read = async (
    webhookId: string,
    replayId: string,
  ): Promise<{ replay: Replay; etag: string } | undefined> => {
    await ready();
    try {
      const row = await client.getEntity<Row>(webhookId, replayId);
      const replay = decodeRow(row);
      return replay === undefined ? undefined : { replay, etag: row.etag ?? "*" };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  };
  return {
    async create(replay) {
      await ready();
      await client.createEntity({
        partitionKey: replay.webhookId,
        rowKey: replay.id,
        record: JSON.stringify(Replay.encode(replay)),
      });
    },
    async get(webhookId, replayId) {
      return (await read(webhookId, replayId))?.replay;
    },
    async list(webhookId, limit) {
      await ready();
      const rows = client.listEntities<Row>({
        queryOptions: { filter: odata`PartitionKey eq ${webhookId}`, select: ["record"] },
      });
      const replays: Replay[] = [];
      for await (const row of rows) {
        const replay = decodeRow(row);
        if (replay !== undefined) replays.push(replay);
        if (replays.length >= MAX_LISTED_ROWS) break;
      }
      return replays.sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, limit);
    },
    async update(webhookId, replayId, change) {
      for (let i = 0; i < MAX_CONFLICTS; i++) {
        const current = await read(webhookId, replayId);
        if (current === undefined) return undefined;
        const next = change(current.replay);
        if (next === undefined) return current.replay;
        try {
          await client.updateEntity(
            { partitionKey: webhookId, rowKey: replayId, record: JSON.stringify(Replay.encode(next)) },
            "Replace",
            { etag: current.etag },
          );
          return next;
        } catch (error) {
          // Failure policy: another writer (a cancel, a re-run step) came first: read again and redo the change.
          if (statusOf(error) !== 412) throw error;
        }
      }
      throw new Error(`replay ${replayId}: ${MAX_CONFLICTS} conflicting writes in a row`);
    },
  };
};
