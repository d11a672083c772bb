import { randomBytes } from "node:crypto";

import { TableClient } from "@azure/data-tables";

/** The Azurite started by globalSetup. */
export const testStorageConnection = (): string => {
  const connection = process.env.TEST_STORAGE_CONNECTION;
  if (connection === undefined)
    throw new Error("TEST_STORAGE_CONNECTION is not set: run through jest (globalSetup)");
  return connection;
};

/** A fresh, uniquely named table so tests never see each other's rows. */
export const freshTableName = (prefix: string): string =>
  `${prefix}${randomBytes(6).toString("hex")}`.replace(/[^A-Za-z0-9]/g, "").slice(0, 60);

export const tableClient = (tableName: string): TableClient =>
  TableClient.fromConnectionString(testStorageConnection(), tableName, { allowInsecureConnection: true });
