import { createWriteStream, existsSync, readFileSync, truncateSync, type WriteStream } from "node:fs";

import { spliceAnnotations } from "./amqpCodec";
import { CompactEvents } from "./compactEvents";

/** One stored event: its broker annotations and the bytes a receiver gets (annotations already spliced in). */
export interface StoredEvent {
  readonly sequenceNumber: number;
  readonly offset: number;
  readonly enqueuedTimeMs: number;
  readonly partitionKey: string | undefined;
  readonly delivered: Buffer;
}

export interface PartitionProperties {
  readonly beginningSequenceNumber: number;
  readonly lastSequenceNumber: number;
  readonly lastOffset: string;
  readonly lastEnqueuedTimeMs: number;
  readonly isEmpty: boolean;
}

const NO_KEY = 0xffff;
const HEADER = 14; // u32 message length, f64 enqueued time, u16 key length (NO_KEY = none)

const record = (message: Buffer, enqueuedTimeMs: number, partitionKey: string | undefined): Buffer => {
  const key = partitionKey === undefined ? Buffer.alloc(0) : Buffer.from(partitionKey, "utf8");
  const head = Buffer.alloc(HEADER);
  head.writeUInt32BE(message.length, 0);
  head.writeDoubleBE(enqueuedTimeMs, 4);
  head.writeUInt16BE(partitionKey === undefined ? NO_KEY : key.length, 12);
  return Buffer.concat([head, key, message]);
};

/**
 * The events of one partition, in order. In memory, optionally backed by an append-only file that is replayed
 * on open. Failure policy: writes are buffered (no fsync per event), so a crash of the process can lose the
 * last few milliseconds of accepted events; a torn record at the file's tail is cut off on the next open.
 */
export class PartitionLog {
  private readonly events = new CompactEvents();
  private nextOffset = 0;
  private lastTimeMs = 0;
  private readonly listeners = new Set<() => void>();
  private file: WriteStream | undefined;

  static open(path: string | undefined): PartitionLog {
    const log = new PartitionLog();
    if (path === undefined) return log;
    if (existsSync(path)) log.replay(path);
    const file = createWriteStream(path, { flags: "a" });
    // Failure policy: if the file cannot be written (disk full, directory removed), the partition goes on
    // in memory only; the error is reported once, by path, and the events written so far stay on disk.
    file.on("error", (error) => {
      if (log.file !== file) return;
      log.file = undefined;
      file.destroy();
      console.error(`local Event Hubs: partition file ${path} is no longer written: ${error.message}`);
    });
    log.file = file;
    return log;
  }

  private replay(path: string): void {
    const data = readFileSync(path);
    let at = 0;
    while (at + HEADER <= data.length) {
      const length = data.readUInt32BE(at);
      const timeMs = data.readDoubleBE(at + 4);
      const keyLength = data.readUInt16BE(at + 12);
      const keyBytes = keyLength === NO_KEY ? 0 : keyLength;
      const end = at + HEADER + keyBytes + length;
      if (end > data.length) break;
      const key =
        keyLength === NO_KEY ? undefined : data.toString("utf8", at + HEADER, at + HEADER + keyBytes);
      this.store(Buffer.from(data.subarray(at + HEADER + keyBytes, end)), timeMs, key);
      at = end;
    }
    if (at < data.length) truncateSync(path, at);
  }

  private store(message: Buffer, enqueuedTimeMs: number, partitionKey: string | undefined): void {
    const annotations = {
      sequenceNumber: this.events.length,
      offset: String(this.nextOffset),
      enqueuedTimeMs,
      partitionKey,
    };
    // Copied into the log's chunks: the spliced buffer would keep its 8 KB allocation pool alive.
    this.events.push({
      offset: this.nextOffset,
      enqueuedTimeMs,
      partitionKey,
      delivered: spliceAnnotations(message, annotations),
    });
    this.nextOffset += message.length;
    this.lastTimeMs = enqueuedTimeMs;
  }

  /** Stores the encoded events (all or none: each is spliced before any is stored) and wakes receivers. */
  append(messages: ReadonlyArray<Buffer>, partitionKey: string | undefined, nowMs: number): void {
    const timeMs = Math.max(nowMs, this.lastTimeMs);
    const start = this.events.length;
    try {
      for (const message of messages) this.store(message, timeMs, partitionKey);
    } catch (error) {
      this.rollback(start);
      throw error;
    }
    if (this.file !== undefined)
      this.file.write(Buffer.concat(messages.map((m) => record(m, timeMs, partitionKey))));
    for (const listener of this.listeners) listener();
  }

  private rollback(length: number): void {
    const first = this.events.at(length);
    if (first !== undefined) this.nextOffset = first.offset;
    this.events.truncate(length);
  }

  get length(): number {
    return this.events.length;
  }

  at(index: number): StoredEvent | undefined {
    const event = this.events.at(index);
    return event === undefined ? undefined : { ...event, sequenceNumber: index };
  }

  /** Index of the first event for which `after` holds, given `after` is monotonic over the log. */
  firstIndexWhere(after: (event: StoredEvent) => boolean): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const event = this.at(mid);
      if (event !== undefined && after(event)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  properties(): PartitionProperties {
    const last = this.at(this.events.length - 1);
    return {
      beginningSequenceNumber: 0,
      lastSequenceNumber: last?.sequenceNumber ?? -1,
      lastOffset: last === undefined ? "-1" : String(last.offset),
      lastEnqueuedTimeMs: last?.enqueuedTimeMs ?? 0,
      isEmpty: last === undefined,
    };
  }

  /** Calls listener after every append; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Flushes and closes the file, if any. */
  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    this.listeners.clear();
    if (file === undefined) return;
    await new Promise<void>((resolve) => {
      file.once("error", () => resolve());
      file.end(() => resolve());
    });
  }
}
