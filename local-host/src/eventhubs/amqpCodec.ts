/**
 * Just enough AMQP 1.0 type-system reading to handle Event Hubs messages as bytes: split a batch envelope
 * (message format 0x80013700) into its events, read an event's partition key, and splice the broker's
 * annotations into an event without re-encoding it (re-encoding through a generic codec loses AMQP types).
 */

export class AmqpCodecError extends Error {
  override readonly name = "AmqpCodecError";
}

const SECTION_MESSAGE_ANNOTATIONS = 0x72;
const SECTION_DATA = 0x75;

/** Offset just past the AMQP value that starts at `at`. */
export const skipValue = (buf: Buffer, at: number): number => {
  const code = buf[at];
  if (code === undefined) throw new AmqpCodecError(`value expected at ${at}, got end of buffer`);
  if (code === 0x00) return skipValue(buf, skipValue(buf, at + 1));
  const width = code >> 4;
  const fixed: Record<number, number> = { 4: 0, 5: 1, 6: 2, 7: 4, 8: 8, 9: 16 };
  const fixedSize = fixed[width];
  const end =
    fixedSize !== undefined
      ? at + 1 + fixedSize
      : width === 0xa || width === 0xc || width === 0xe
        ? at + 2 + readSize(buf, at + 1, 1)
        : width === 0xb || width === 0xd || width === 0xf
          ? at + 5 + readSize(buf, at + 1, 4)
          : Number.NaN;
  if (Number.isNaN(end)) throw new AmqpCodecError(`unknown AMQP constructor 0x${code.toString(16)} at ${at}`);
  if (end > buf.length) throw new AmqpCodecError(`value at ${at} runs past the end of the buffer`);
  return end;
};

const readSize = (buf: Buffer, at: number, bytes: 1 | 4): number => {
  if (at + bytes > buf.length) throw new AmqpCodecError(`size at ${at} runs past the end of the buffer`);
  return bytes === 1 ? buf.readUInt8(at) : buf.readUInt32BE(at);
};

export interface Section {
  readonly code: number;
  /** Where the section (its 0x00 descriptor marker) starts. */
  readonly start: number;
  /** Where the section's value starts (after the descriptor). */
  readonly valueStart: number;
  readonly end: number;
}

const descriptorCode = (buf: Buffer, at: number): number => {
  const code = buf[at];
  if (code === 0x53) return buf.readUInt8(at + 1);
  if (code === 0x80) return Number(buf.readBigUInt64BE(at + 1));
  throw new AmqpCodecError(`section descriptor expected at ${at}`);
};

/** The top-level sections of an encoded message, in order. */
export const sections = (buf: Buffer): Section[] => {
  const out: Section[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf[at] !== 0x00) throw new AmqpCodecError(`section expected at ${at}`);
    const valueStart = skipValue(buf, at + 1);
    const end = skipValue(buf, valueStart);
    out.push({ code: descriptorCode(buf, at + 1), start: at, valueStart, end });
    at = end;
  }
  return out;
};

/** Payload of a binary value (vbin8/vbin32). */
const binaryPayload = (buf: Buffer, at: number): Buffer => {
  const code = buf[at];
  if (code === 0xa0) return buf.subarray(at + 2, at + 2 + buf.readUInt8(at + 1));
  if (code === 0xb0) return buf.subarray(at + 5, at + 5 + buf.readUInt32BE(at + 1));
  throw new AmqpCodecError(`binary expected at ${at}`);
};

/** The encoded events carried by a batch envelope's data sections. */
export const batchEvents = (envelope: Buffer): Buffer[] =>
  sections(envelope)
    .filter((s) => s.code === SECTION_DATA)
    .map((s) => binaryPayload(envelope, s.valueStart));

const readString = (buf: Buffer, at: number): string | undefined => {
  const code = buf[at];
  if (code === 0xa1 || code === 0xa3) return buf.toString("utf8", at + 2, at + 2 + buf.readUInt8(at + 1));
  if (code === 0xb1 || code === 0xb3) return buf.toString("utf8", at + 5, at + 5 + buf.readUInt32BE(at + 1));
  return undefined;
};

interface MapEntry {
  readonly key: string | undefined;
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
}

const mapEntries = (buf: Buffer, at: number): MapEntry[] => {
  const code = buf[at];
  const [count, first] =
    code === 0xc1
      ? [buf.readUInt8(at + 2), at + 3]
      : code === 0xd1
        ? [buf.readUInt32BE(at + 5), at + 9]
        : [0, skipValue(buf, at)];
  const entries: MapEntry[] = [];
  let pos = first;
  for (let i = 0; i + 1 < count; i += 2) {
    const valueStart = skipValue(buf, pos);
    const end = skipValue(buf, valueStart);
    entries.push({ key: readString(buf, pos), start: pos, valueStart, end });
    pos = end;
  }
  return entries;
};

export const PARTITION_KEY_ANNOTATION = "x-opt-partition-key";

/** The x-opt-partition-key message annotation of an encoded message, if any. */
export const partitionKeyOf = (message: Buffer): string | undefined => {
  const annotations = sections(message).find((s) => s.code === SECTION_MESSAGE_ANNOTATIONS);
  if (annotations === undefined) return undefined;
  const entry = mapEntries(message, annotations.valueStart).find((e) => e.key === PARTITION_KEY_ANNOTATION);
  return entry === undefined ? undefined : readString(message, entry.valueStart);
};

/** What the broker stamps on each stored event. */
export interface BrokerAnnotations {
  readonly sequenceNumber: number;
  readonly offset: string;
  readonly enqueuedTimeMs: number;
  readonly partitionKey: string | undefined;
}

const SEQUENCE_NUMBER = "x-opt-sequence-number";
const OFFSET = "x-opt-offset";
const ENQUEUED_TIME = "x-opt-enqueued-time";
const BROKER_KEYS = new Set([SEQUENCE_NUMBER, OFFSET, ENQUEUED_TIME, PARTITION_KEY_ANNOTATION]);

const symbol = (name: string): Buffer => {
  const bytes = Buffer.from(name, "ascii");
  return Buffer.concat([Buffer.from([0xa3, bytes.length]), bytes]);
};

const utf8String = (value: string): Buffer => {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length < 256) return Buffer.concat([Buffer.from([0xa1, bytes.length]), bytes]);
  const head = Buffer.alloc(5);
  head[0] = 0xb1;
  head.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
};

const int64 = (code: 0x81 | 0x83, value: number): Buffer => {
  const out = Buffer.alloc(9);
  out[0] = code;
  out.writeBigInt64BE(BigInt(value), 1);
  return out;
};

const brokerEntries = (a: BrokerAnnotations): Buffer[] => [
  symbol(SEQUENCE_NUMBER),
  int64(0x81, a.sequenceNumber),
  symbol(OFFSET),
  utf8String(a.offset),
  symbol(ENQUEUED_TIME),
  int64(0x83, a.enqueuedTimeMs),
  ...(a.partitionKey === undefined ? [] : [symbol(PARTITION_KEY_ANNOTATION), utf8String(a.partitionKey)]),
];

/**
 * The message with the broker's annotations set in its message-annotations section: the producer's other
 * annotations and every other section are copied byte for byte.
 */
export const spliceAnnotations = (message: Buffer, annotations: BrokerAnnotations): Buffer => {
  const all = sections(message);
  const existing = all.find((s) => s.code === SECTION_MESSAGE_ANNOTATIONS);
  const kept = existing === undefined ? [] : mapEntries(message, existing.valueStart);
  const keptBytes = kept
    .filter((e) => e.key === undefined || !BROKER_KEYS.has(e.key))
    .map((e) => message.subarray(e.start, e.end));
  const added = brokerEntries(annotations);
  const body = Buffer.concat([...keptBytes, ...added]);
  const head = Buffer.alloc(12);
  head.writeUInt8(0x00, 0);
  head.writeUInt8(0x53, 1);
  head.writeUInt8(SECTION_MESSAGE_ANNOTATIONS, 2);
  head.writeUInt8(0xd1, 3);
  head.writeUInt32BE(body.length + 4, 4);
  head.writeUInt32BE(keptBytes.length * 2 + added.length, 8);
  const section = Buffer.concat([head, body]);
  if (existing !== undefined)
    return Buffer.concat([message.subarray(0, existing.start), section, message.subarray(existing.end)]);
  // Message annotations follow the header and delivery annotations, and precede everything else.
  const before = all.filter((s) => s.code < SECTION_MESSAGE_ANNOTATIONS);
  const cut = before.length === 0 ? 0 : (before[before.length - 1]?.end ?? 0);
  return Buffer.concat([message.subarray(0, cut), section, message.subarray(cut)]);
};

/** What a receiver that asked for runtime metrics learns about its partition with every event. */
export interface PartitionRuntimeInfo {
  readonly lastSequenceNumber: number;
  readonly lastOffset: string;
  readonly lastEnqueuedTimeMs: number;
  readonly retrievedAtMs: number;
}

const SECTION_DELIVERY_ANNOTATIONS = 0x71;

/** The message with a delivery-annotations section (replacing any) carrying the partition's runtime info. */
export const withRuntimeInfo = (message: Buffer, info: PartitionRuntimeInfo): Buffer => {
  const entries = [
    symbol("last_enqueued_sequence_number"),
    int64(0x81, info.lastSequenceNumber),
    symbol("last_enqueued_offset"),
    utf8String(info.lastOffset),
    symbol("last_enqueued_time_utc"),
    int64(0x83, info.lastEnqueuedTimeMs),
    symbol("runtime_info_retrieval_time_utc"),
    int64(0x83, info.retrievedAtMs),
  ];
  const body = Buffer.concat(entries);
  const head = Buffer.from([0x00, 0x53, SECTION_DELIVERY_ANNOTATIONS, 0xd1, 0, 0, 0, 0, 0, 0, 0, 0]);
  head.writeUInt32BE(body.length + 4, 4);
  head.writeUInt32BE(entries.length, 8);
  const all = sections(message);
  const existing = all.find((s) => s.code === SECTION_DELIVERY_ANNOTATIONS);
  const header = all.find((s) => s.code < SECTION_DELIVERY_ANNOTATIONS);
  const cut = existing?.start ?? header?.end ?? 0;
  const resume = existing?.end ?? cut;
  return Buffer.concat([message.subarray(0, cut), head, body, message.subarray(resume)]);
};
