import type { IncomingMessage, ServerResponse } from "node:http";

import { parseJson } from "./bindingInfo";
import { DURABLE_PATH_PREFIX } from "./clientBinding";
import type { HistoryEvent } from "./historyEvents";
import { historyView } from "./historyView";
import type { InstanceMeta, RuntimeStatus } from "./instanceStore";
import type { PostResult, StartResult } from "./orchestrationHost";

/**
 * The Durable HTTP API as durable-functions 3.5.0's DurableClient calls it through rpcBaseUrl:
 *   POST   orchestrators/{name}[/{instanceId}]        start (202 {id,...}; 409 when the id is unfinished)
 *   GET    instances/{id}                             status (202 while Pending/Running, else 200; 404)
 *   GET    instances/?runtimeStatus=a,b&createdTime.. list
 *   DELETE instances/{id} | instances/?filters        purge (200 {instancesDeleted}; 404)
 *   POST   instances/{id}/raiseEvent/{name}           raise an event (202; 410 finished; 404)
 *   POST   instances/{id}/terminate?reason=           terminate (202; 410 finished; 404)
 *   POST   instances/{id}/suspend?reason=             suspend (202; 410 finished; 404)
 *   POST   instances/{id}/resume?reason=              resume (202; 410 finished; 404)
 *   POST   entities/{name}/{key}?op=                  signal an entity (202; 400 when no entity function has the name)
 *   GET    entities/{name}/{key}                      an entity's state (200 with the state; 404)
 *   GET    entities/{name}[?fetchState=true]          the entities of one name ([{entityId, lastOperationTime, state?}])
 * A status query with showHistory=true also returns historyEvents (historyView.ts).
 */
export interface StatusFilter {
  readonly runtimeStatus?: readonly string[];
  readonly createdTimeFrom?: Date;
  readonly createdTimeTo?: Date;
}

export interface DurableOperations {
  startNew(name: string, instanceId: string | undefined, input: string | undefined): Promise<StartResult>;
  status(instanceId: string): Promise<InstanceMeta | undefined>;
  list(filter: StatusFilter): Promise<InstanceMeta[]>;
  raiseEvent(instanceId: string, name: string, data: string | undefined): Promise<PostResult>;
  terminate(instanceId: string, reason: string): Promise<PostResult>;
  suspend(instanceId: string, reason: string): Promise<PostResult>;
  resume(instanceId: string, reason: string): Promise<PostResult>;
  history(meta: InstanceMeta): Promise<HistoryEvent[]>;
  purge(instanceId: string): Promise<number>;
  purgeBy(filter: StatusFilter): Promise<number>;
  managementPayload(instanceId: string): Record<string, string>;
  signalEntity(
    name: string,
    key: string,
    operation: string,
    input: string | undefined,
  ): Promise<"Accepted" | "UnknownEntity">;
  readEntity(name: string, key: string): Promise<StoredEntity | undefined>;
  listEntities(name: string): Promise<StoredEntity[]>;
}

/** An entity that exists, as the HTTP API shows it. */
export interface StoredEntity {
  readonly name: string;
  readonly key: string;
  /** JSON text. */
  readonly state?: string;
  readonly lastOperationTime?: string;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
};

const send = (res: ServerResponse, status: number, body?: unknown): void => {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
};

export const statusJson = (m: InstanceMeta, showInput = true) => ({
  name: m.name,
  instanceId: m.instanceId,
  runtimeStatus: m.runtimeStatus,
  input: showInput ? (parseJson(m.input) ?? null) : null,
  customStatus: parseJson(m.customStatus) ?? null,
  output: parseJson(m.output) ?? null,
  createdTime: m.createdTime,
  lastUpdatedTime: m.lastUpdatedTime,
});

const dateParam = (q: URLSearchParams, key: string): Date | undefined => {
  const v = q.get(key);
  return v === null || v === "" ? undefined : new Date(v);
};

const filterOf = (q: URLSearchParams): StatusFilter => ({
  runtimeStatus: q
    .get("runtimeStatus")
    ?.split(",")
    .filter((s) => s !== ""),
  createdTimeFrom: dateParam(q, "createdTimeFrom"),
  createdTimeTo: dateParam(q, "createdTimeTo"),
});

export const matchesFilter = (m: InstanceMeta, f: StatusFilter): boolean =>
  (f.runtimeStatus === undefined ||
    f.runtimeStatus.length === 0 ||
    f.runtimeStatus.includes(m.runtimeStatus)) &&
  (f.createdTimeFrom === undefined || new Date(m.createdTime) >= f.createdTimeFrom) &&
  (f.createdTimeTo === undefined || new Date(m.createdTime) <= f.createdTimeTo);

const postStatus: Record<PostResult, number> = { Accepted: 202, Gone: 410, NotFound: 404 };
const runningStates: readonly RuntimeStatus[] = ["Pending", "Running", "Suspended"];

/** What a request the runtime does not serve asks for, for its 501 message. */
const unsupportedFeature = (root: string | undefined, action: string | undefined): string =>
  root === "instances" && action !== undefined ? `The '${action}' instance operation` : `'${root ?? ""}'`;

/** Serves one request if its path is under the durable prefix; returns false otherwise. */
export const handleDurableHttp = async (
  req: IncomingMessage,
  res: ServerResponse,
  ops: DurableOperations,
): Promise<boolean> => {
  const url = new URL(req.url ?? "/", "http://local");
  if (!url.pathname.startsWith(DURABLE_PATH_PREFIX)) return false;
  const parts = url.pathname.slice(DURABLE_PATH_PREFIX.length).split("/").map(decodeURIComponent);
  const method = req.method ?? "GET";
  const [root, id, action, eventName] = parts;
  const q = url.searchParams;
  try {
    if (root === "orchestrators" && method === "POST" && id !== undefined && id !== "") {
      await startRequest(res, ops, id, action === "" ? undefined : action, await readBody(req));
    } else if (root === "instances" && (id === undefined || id === "")) {
      await collectionRequest(res, method, q, ops);
    } else if (root === "instances" && id !== undefined && action === undefined) {
      await instanceRequest(res, method, id, q, ops);
    } else if (root === "instances" && id !== undefined && method === "POST" && action === "raiseEvent") {
      const body = await readBody(req);
      send(res, postStatus[await ops.raiseEvent(id, eventName ?? "", body === "" ? undefined : body)]);
    } else if (root === "instances" && id !== undefined && method === "POST" && action === "terminate") {
      send(res, postStatus[await ops.terminate(id, q.get("reason") ?? "")]);
    } else if (root === "instances" && id !== undefined && method === "POST" && action === "suspend") {
      send(res, postStatus[await ops.suspend(id, q.get("reason") ?? "")]);
    } else if (root === "instances" && id !== undefined && method === "POST" && action === "resume") {
      send(res, postStatus[await ops.resume(id, q.get("reason") ?? "")]);
    } else if (root === "entities" && id !== undefined && id !== "" && eventName === undefined) {
      await entityRequest(req, res, ops, id, action, q);
    } else {
      const feature = unsupportedFeature(root, action);
      send(res, 501, { message: `${feature} is not supported by the local durable runtime.` });
    }
  } catch (error) {
    send(res, 500, { message: error instanceof Error ? error.message : "internal error" });
  }
  return true;
};

const startRequest = async (
  res: ServerResponse,
  ops: DurableOperations,
  name: string,
  instanceId: string | undefined,
  body: string,
) => {
  const started = await ops.startNew(name, instanceId, body === "" ? undefined : body);
  switch (started.kind) {
    case "Started":
      return send(res, 202, { id: started.instanceId, ...ops.managementPayload(started.instanceId) });
    case "Conflict":
      return send(res, 409, { message: "An instance with this ID is already running." });
    case "Stopped":
      return send(res, 503, { message: "The durable runtime is stopping." });
    case "InvalidId":
      return send(res, 400, {
        message:
          "Instance ids may not start with @ (kept for entities) or contain / \\ # ? or control characters.",
      });
    case "UnknownOrchestrator":
      return send(res, 400, { message: `No orchestrator function named '${name}'.` });
    default: {
      const never: never = started;
      return never;
    }
  }
};

const collectionRequest = async (
  res: ServerResponse,
  method: string,
  q: URLSearchParams,
  ops: DurableOperations,
) => {
  if (method === "GET") {
    const metas = await ops.list(filterOf(q));
    send(
      res,
      200,
      metas.map((m) => statusJson(m, q.get("showInput") !== "false")),
    );
  } else if (method === "DELETE") {
    const deleted = await ops.purgeBy(filterOf(q));
    send(res, deleted === 0 ? 404 : 200, { instancesDeleted: deleted });
  } else send(res, 405, { message: "method not allowed" });
};

const instanceRequest = async (
  res: ServerResponse,
  method: string,
  id: string,
  q: URLSearchParams,
  ops: DurableOperations,
) => {
  if (method === "GET") {
    const meta = await ops.status(id);
    if (meta === undefined) return send(res, 404);
    const showInput = q.get("showInput") !== "false";
    const body: Record<string, unknown> = statusJson(meta, showInput);
    // As the extension: no history for an instance that has not started.
    if (q.get("showHistory") === "true" && meta.runtimeStatus !== "Pending") {
      const options = { showInput, showHistoryOutput: q.get("showHistoryOutput") === "true", ...meta };
      body.historyEvents = historyView(await ops.history(meta), options);
    }
    send(res, runningStates.includes(meta.runtimeStatus) ? 202 : 200, body);
  } else if (method === "DELETE") {
    const meta = await ops.status(id);
    if (meta !== undefined && runningStates.includes(meta.runtimeStatus)) {
      send(res, 409, { message: "The instance is still running." });
    } else {
      const deleted = await ops.purge(id);
      send(res, deleted === 0 ? 404 : 200, { instancesDeleted: deleted });
    }
  } else send(res, 405, { message: "method not allowed" });
};

const sendText = (res: ServerResponse, status: number, json: string): void => {
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(json) });
  res.end(json);
};

const entityRequest = async (
  req: IncomingMessage,
  res: ServerResponse,
  ops: DurableOperations,
  name: string,
  key: string | undefined,
  q: URLSearchParams,
) => {
  const method = req.method ?? "GET";
  if (key === undefined || key === "") {
    if (method !== "GET") return send(res, 405, { message: "method not allowed" });
    const fetchState = q.get("fetchState") === "true";
    const entities = await ops.listEntities(name);
    return send(
      res,
      200,
      entities.map((e) => ({
        entityId: { name: e.name, key: e.key },
        lastOperationTime: e.lastOperationTime ?? null,
        ...(fetchState ? { state: parseJson(e.state) ?? null } : {}),
      })),
    );
  }
  if (method === "GET") {
    const entity = await ops.readEntity(name, key);
    if (entity === undefined) return send(res, 404);
    return sendText(res, 200, entity.state ?? "null");
  }
  if (method === "POST") {
    const body = await readBody(req);
    const signalled = await ops.signalEntity(name, key, q.get("op") ?? "", body === "" ? undefined : body);
    return signalled === "Accepted"
      ? send(res, 202)
      : send(res, 400, { message: `No entity function named '${name}'.` });
  }
  return send(res, 405, { message: "method not allowed" });
};
