import { RestError, type TableClient } from "@azure/data-tables";

export const statusOf = (error: unknown): number | undefined =>
  error instanceof RestError ? error.statusCode : undefined;

/** Creates the table if it does not exist yet; an existing table is fine. */
export const ensureTable = async (client: TableClient): Promise<void> => {
  try {
    await client.createTable();
  } catch (error) {
    if (statusOf(error) !== 409) throw error;
  }
};

/** Runs `ensureTable` once per client, sharing the promise (and retrying after a failure). */
export const tableInitializer = (client: TableClient): (() => Promise<void>) => {
  let ready: Promise<void> | undefined;
  return () => {
    ready ??= ensureTable(client).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
};
