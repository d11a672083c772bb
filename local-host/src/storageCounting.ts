import http from "node:http";
import type { AddressInfo } from "node:net";

import { count } from "./counters";

/**
 * A counting HTTP proxy in front of embedded Azurite (LOCAL_HOST_COUNTERS=true): every storage request of every
 * component (the app's own TableClients, the durable runtime's tables, the Event Hub checkpoint store's blobs)
 * goes through it, because the connection string the host hands out names the proxy's ports. Each request is
 * counted by service, kind and table or area, the way Azure bills storage: one transaction per REST request (an
 * entity-group transaction is one request; its operations are counted apart as `table.batchOperations`).
 */

export type StorageService = "blob" | "table" | "queue";

const decode = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** The path after the account segment, decoded, and the query. */
const split = (url: string): { rest: string; query: URLSearchParams } => {
  const parsed = new URL(url, "http://x");
  const segments = parsed.pathname.split("/").filter((s) => s !== "");
  return { rest: decode(segments.slice(1).join("/")), query: parsed.searchParams };
};

/** Table requests: `read` (one entity by keys), `query`, `write` (insert, update, merge, upsert), `delete`,
    `batch` (an entity-group transaction) and `admin` (create, list or delete tables). */
export const classifyTable = (method: string, url: string): { kind: string; table: string } => {
  const { rest } = split(url);
  if (rest === "$batch") return { kind: "batch", table: "?" };
  if (rest === "Tables" || rest.startsWith("Tables(")) return { kind: "admin", table: "Tables" };
  const open = rest.indexOf("(");
  const table = open < 0 ? rest : rest.slice(0, open);
  const keys = open >= 0 && /PartitionKey=/.test(rest.slice(open));
  switch (method) {
    case "GET":
      return { kind: keys ? "read" : "query", table };
    case "DELETE":
      return { kind: "delete", table };
    default:
      return { kind: "write", table };
  }
};

/** The operations of an entity-group transaction's multipart body and the table they address. */
export const batchOperations = (body: string): { operations: number; table: string } => {
  const lines = body.match(/^(?:GET|POST|PUT|MERGE|PATCH|DELETE) \S+/gm) ?? [];
  const first = lines[0]?.split(" ")[1];
  const table = first === undefined ? "?" : classifyTable("POST", new URL(first).pathname).table;
  return { operations: lines.length, table };
};

/** Blob requests by operation, with the Event Hubs checkpoint store's two areas told apart: `ownership`
    (partition claims, renewed on a timer) and `checkpoint` (one per handled batch); else the container. */
export const classifyBlob = (method: string, url: string): { op: string; area: string } => {
  const { rest, query } = split(url);
  const comp = query.get("comp");
  const container = query.get("restype") === "container";
  const op =
    comp === "list"
      ? "list"
      : comp !== null
        ? `${method === "PUT" ? "set" : "get"}${comp[0]!.toUpperCase()}${comp.slice(1)}`
        : container
          ? `${method.toLowerCase()}Container`
          : (({ PUT: "put", GET: "get", HEAD: "properties", DELETE: "delete" } as Record<string, string>)[
              method
            ] ?? method.toLowerCase());
  const where = `${rest}/${query.get("prefix") ?? ""}`;
  const area = /\/ownership\//.test(where)
    ? "ownership"
    : /\/checkpoint\//.test(where)
      ? "checkpoint"
      : rest.split("/")[0] || "account";
  return { op, area };
};

export interface CountingProxy {
  readonly port: number;
  stop(): Promise<void>;
}

/** Forwards 127.0.0.1:<new port> to 127.0.0.1:`targetPort`, counting every request of `service`. */
export const startCountingProxy = async (
  service: StorageService,
  targetPort: number,
): Promise<CountingProxy> => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const method = req.method ?? "GET";
      const url = req.url ?? "/";
      count("storage.requests");
      if (service === "table") {
        count("storage.requestBytes[table]", body.length);
        const { kind, table } = classifyTable(method, url);
        if (kind === "batch") {
          const batch = batchOperations(body.toString("utf8"));
          count(`table.batch[${batch.table}]`);
          count(`table.batchOperations[${batch.table}]`, batch.operations);
        } else count(`table.${kind}[${table}]`);
      } else if (service === "blob") {
        const { op, area } = classifyBlob(method, url);
        count(`blob.${op}[${area}]`);
        count(`storage.requestBytes[blob${area === "ownership" ? " ownership" : ""}]`, body.length);
      } else count(`queue.${method.toLowerCase()}[${split(url).rest.split("/")[0] ?? ""}]`);
      const upstream = http.request(
        { host: "127.0.0.1", port: targetPort, method, path: url, headers: req.headers, agent },
        (answer) => {
          if ((answer.statusCode ?? 500) >= 400) count(`storage.errors[${answer.statusCode}]`);
          res.writeHead(answer.statusCode ?? 500, answer.rawHeaders);
          answer.on("data", (chunk: Buffer) => count(`storage.responseBytes[${service}]`, chunk.length));
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      upstream.end(body);
    });
    req.on("error", () => res.destroy());
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
};

/** Proxies every endpoint of an Azurite connection string; returns the string that names the proxies. */
export const countStorage = async (
  connectionString: string,
): Promise<{ connectionString: string; stop(): Promise<void> }> => {
  const proxies: CountingProxy[] = [];
  let rewritten = connectionString;
  for (const [setting, service] of [
    ["BlobEndpoint", "blob"],
    ["TableEndpoint", "table"],
    ["QueueEndpoint", "queue"],
  ] as const) {
    const match = new RegExp(`${setting}=http://127\\.0\\.0\\.1:(\\d+)/`).exec(rewritten);
    if (match === null) continue;
    const proxy = await startCountingProxy(service, Number(match[1]));
    proxies.push(proxy);
    rewritten = rewritten.replace(match[0], `${setting}=http://127.0.0.1:${proxy.port}/`);
  }
  return {
    connectionString: rewritten,
    stop: async () => {
      await Promise.all(proxies.map((p) => p.stop()));
    },
  };
};
