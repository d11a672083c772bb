import { TableClient } from "@azure/data-tables";

/** One RejectedEvents row as the test reads it (no payload values are logged from here). */
export interface RejectedRow {
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly reasons: unknown;
  readonly rawBytes: number;
  readonly rawTruncated: boolean;
}

const parseReasons = (text: unknown): unknown => {
  try {
    return JSON.parse(String(text)) as unknown;
  } catch {
    return undefined;
  }
};

/** Every row of the runtime's RejectedEvents table (none while the table does not exist yet). */
export const readRejectedRows = async (storage: string): Promise<ReadonlyArray<RejectedRow>> => {
  const client = TableClient.fromConnectionString(storage, "RejectedEvents", {
    allowInsecureConnection: true,
  });
  const rows: RejectedRow[] = [];
  try {
    for await (const e of client.listEntities<Record<string, unknown>>()) {
      rows.push({
        partitionKey: e.partitionKey ?? "",
        rowKey: e.rowKey ?? "",
        reasons: parseReasons(e.reasons),
        rawBytes: Buffer.byteLength(String(e.raw)),
        rawTruncated: e.rawTruncated === true,
      });
    }
  } catch (error) {
    // The table appears with the first rejection.
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  return rows;
};

/** True for a non-empty array of non-empty strings. */
export const hasReasons = (row: RejectedRow): boolean =>
  Array.isArray(row.reasons) &&
  row.reasons.length > 0 &&
  row.reasons.every((r) => typeof r === "string" && r.length > 0);
