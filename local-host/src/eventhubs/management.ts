import type { Connection, Message } from "rhea";

import type { HubStore } from "./hubStore";
import { notFound } from "./hubStore";
import { type ReplyLinks, statusProperties } from "./replyLinks";

type Body = Record<string, unknown>;
type Outcome = { readonly ok: true; readonly body: Body } | { readonly ok: false; readonly reply: Message };

const failure = (code: number, description: string, condition: string): Outcome => ({
  ok: false,
  reply: { application_properties: statusProperties(code, description, condition), body: null },
});

const hubProperties = (store: HubStore, name: string): Outcome => {
  const hub = store.hub(name);
  if (hub === undefined) return failure(404, notFound(name).description, "amqp:not-found");
  return {
    ok: true,
    body: {
      name: hub.name,
      type: "com.microsoft:eventhub",
      created_at: new Date(hub.createdAtMs),
      partition_count: hub.partitions.length,
      partition_ids: hub.partitions.map((_, i) => String(i)),
    },
  };
};

const partitionProperties = (store: HubStore, name: string, partition: unknown): Outcome => {
  const hub = store.hub(name);
  const index = typeof partition === "string" && /^\d+$/.test(partition) ? Number(partition) : -1;
  const log = hub?.partitions[index];
  if (hub === undefined || log === undefined)
    return failure(404, notFound(`${name}/Partitions/${String(partition)}`).description, "amqp:not-found");
  const p = log.properties();
  return {
    ok: true,
    body: {
      name: hub.name,
      type: "com.microsoft:partition",
      partition: String(index),
      begin_sequence_number: p.beginningSequenceNumber,
      beginning_sequence_number: p.beginningSequenceNumber,
      last_enqueued_sequence_number: p.lastSequenceNumber,
      last_enqueued_offset: p.lastOffset,
      last_enqueued_time_utc: new Date(p.lastEnqueuedTimeMs),
      is_partition_empty: p.isEmpty,
    },
  };
};

const read = (store: HubStore, request: Message): Outcome => {
  const props = request.application_properties ?? {};
  const type: unknown = props.type;
  const name: unknown = props.name;
  if (props.operation !== "READ")
    return failure(400, "only the READ operation is supported", "amqp:not-implemented");
  if (typeof name !== "string")
    return failure(400, "the request names no hub", "com.microsoft:argument-error");
  if (type === "com.microsoft:eventhub") return hubProperties(store, name);
  if (type === "com.microsoft:partition") return partitionProperties(store, name, props.partition);
  return failure(400, `unsupported $management type '${String(type)}'`, "amqp:not-implemented");
};

/** `$management` READ of hub and partition runtime properties, replied on the link named by reply_to. */
export const handleManagementRequest = (
  store: HubStore,
  links: ReplyLinks,
  connection: Connection,
  request: Message,
): void => {
  const outcome = read(store, request);
  const reply: Message = outcome.ok
    ? { application_properties: statusProperties(200, "OK"), body: outcome.body }
    : outcome.reply;
  links.reply(connection, request, reply);
};
