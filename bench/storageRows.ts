import { createServer } from "node:net";

import { TableClient, TableServiceClient } from "@azure/data-tables";
import { azuriteConnectionString } from "functions-local-host";

import { type PipelineEnv } from "./pipeline";
import { type StorageAfterBacklog } from "./report";
import { processRssMb, processTree } from "./rss";

/** A port free right now on 127.0.0.1 (the runtime's Azurite binds it next, so the bench can read its tables). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });

/** Rows per table of the runtime's Azurite (every table, keys only). */
export const rowsPerTable = async (connection: string): Promise<Record<string, number>> => {
  const options = { allowInsecureConnection: true };
  const service = TableServiceClient.fromConnectionString(connection, options);
  const rows: Record<string, number> = {};
  for await (const table of service.listTables()) {
    const name = table.name ?? "";
    const client = TableClient.fromConnectionString(connection, name, options);
    let n = 0;
    for await (const _ of client.listEntities({ queryOptions: { select: ["PartitionKey"] } })) n++;
    rows[name] = n;
  }
  return rows;
};

/** Purges every finished orchestration through the Durable HTTP API, as the purge timer's client does. */
const purgeFinished = async (env: PipelineEnv): Promise<number> => {
  const origin = new URL(env.runtime.info.adminUrl).origin;
  const query = `runtimeStatus=Completed,Failed,Terminated&createdTimeFrom=1970-01-01T00:00:00.000Z&createdTimeTo=${new Date().toISOString()}`;
  const response = await fetch(`${origin}/runtime/webhooks/durabletask/instances/?${query}`, {
    method: "DELETE",
  });
  if (response.status === 404) return 0;
  if (!response.ok) throw new Error(`purge answered ${response.status}`);
  return ((await response.json()) as { instancesDeleted: number }).instancesDeleted;
};

/** After the backlog: rows per table, rows after purging finished orchestrations, RSS after `idleMs` idle. */
export const storageAfterBacklog = async (
  env: PipelineEnv,
  ports: { blob: number; table: number },
  idleMs: number,
): Promise<StorageAfterBacklog> => {
  const connection = azuriteConnectionString(ports.blob, ports.table);
  const rowsAfterRun = await rowsPerTable(connection);
  const purgedInstances = await purgeFinished(env);
  const rowsAfterPurge = await rowsPerTable(connection);
  process.stderr.write(`backlog: purged ${purgedInstances} orchestrations; idle for ${idleMs / 1000} s...\n`);
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  const [, ...children] = processTree(env.runtime.pid);
  return {
    rowsAfterRun,
    rowsAfterPurge,
    purgedInstances,
    idleMs,
    idleRuntimeRssMb: processRssMb(env.runtime.pid),
    idleAzuriteRssMb: children.reduce((sum, pid) => sum + processRssMb(pid), 0),
  };
};
