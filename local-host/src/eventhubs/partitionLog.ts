import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  openSync,
  readFileSync,
  truncateSync,
  writeSync,
} from "node:fs";

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

/** How often the open partition files are fdatasync'd. */
export const SYNC_INTERVAL_MS = 250;
const unsynced = new Set<number>();
setInterval(() => {
  for (const fd of unsynced) fdatasync(fd, () => undefined);
  unsynced.clear();
}, SYNC_INTERVAL_MS).unref();

/**
 * The events of one partition, in order. In memory, optionally backed by an append-only file that is replayed
 * on open. Durability policy: a transfer's events are written to the file (writeSync, so into the kernel's page
 * cache) before the transfer is accepted, so an accepted event survives any kill of the process; the files are
 * fdatasync'd every SYNC_INTERVAL_MS, so a power cut can lose what was accepted in the last 250 ms. A torn record
 * at the file's tail is cut off on the next open.
 */
export class PartitionLog {
  private readonly events = new CompactEvents();
  private nextOffset = 0;
  private lastTimeMs = 0;
  private readonly listeners = new Set<() => void>();
  private file: { readonly fd: number; readonly path: string } | undefined;

  static open(path: string | undefined): PartitionLog {
    const log = new PartitionLog();
    if (path === undefined) return log;
    if (existsSync(path)) log.replay(path);
    log.file = { fd: openSync(path, "a"), path };
    return log;
  }

  private failing = false;

  /**
   * Writes a record before its events are acknowledged. Failure policy: if the file cannot be written (disk full),
   * the transfer is rejected and none of its events is stored, so a producer is never told an event was sent that
   * a restart would not have; the error is reported once until a write succeeds again.
   */
  private persist(bytes: Buffer): void {
    const file = this.file;
    if (file === undefined) return;
    try {
      let at = 0;
      while (at < bytes.length) at += writeSync(file.fd, bytes, at);
      unsynced.add(file.fd);
      this.failing = false;
    } catch (error) {
      if (!this.failing) {
        const message = error instanceof Error ? error.message : String(error);
        console.error(
          `local Event Hubs: partition file ${file.path} cannot be written, transfers are rejected: ${message}`,
        );
      }
      this.failing = true;
      throw error;
    }
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
      if (this.file !== undefined)
        this.persist(Buffer.concat(messages.map((m) => record(m, timeMs, partitionKey))));
    } catch (error) {
      this.rollback(start);
      throw error;
    }
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

  /** Syncs and closes the file, if any. */
  close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    this.listeners.clear();
    if (file === undefined) return Promise.resolve();
    unsynced.delete(file.fd);
    try {
      fdatasyncSync(file.fd);
      closeSync(file.fd);
    } catch {
      // Failure policy: a file that can no longer be synced or closed was reported when its writes failed.
    }
    return Promise.resolve();
  }
}
