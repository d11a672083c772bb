/**
 * A partition's events packed for memory: the bytes of every event (the delivered message, then its partition
 * key) appended to 1 MiB chunks, and per event five numbers in growable typed arrays. About 36 bytes per event
 * beside the bytes themselves, where an object, a Buffer view and a key string per event cost ~250 bytes of heap
 * (100,000 events: ~4 MB instead of ~25 MB).
 */
export interface PackedEvent {
  readonly offset: number;
  readonly enqueuedTimeMs: number;
  readonly partitionKey: string | undefined;
  readonly delivered: Buffer;
}

const CHUNK_BYTES = 1 << 20;
const NO_KEY = 0xffffffff;

class Column<A extends Float64Array | Uint32Array> {
  constructor(
    public values: A,
    private readonly make: (length: number) => A,
  ) {}

  set(index: number, value: number): void {
    if (index >= this.values.length) {
      const grown = this.make(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[index] = value;
  }

  get(index: number): number {
    return this.values[index] ?? 0;
  }
}

const f64 = () => new Column(new Float64Array(1024), (n) => new Float64Array(n));
const u32 = () => new Column(new Uint32Array(1024), (n) => new Uint32Array(n));

export class CompactEvents {
  private readonly chunks: Buffer[] = [];
  private used = CHUNK_BYTES;
  private count = 0;
  private readonly offsets = f64();
  private readonly times = f64();
  /** chunk index, start in the chunk, message length, key length (NO_KEY: none). */
  private readonly chunkOf = u32();
  private readonly startOf = u32();
  private readonly lengthOf = u32();
  private readonly keyLengthOf = u32();

  get length(): number {
    return this.count;
  }

  push(event: PackedEvent): void {
    const key = event.partitionKey === undefined ? undefined : Buffer.from(event.partitionKey, "utf8");
    const size = event.delivered.length + (key?.length ?? 0);
    if (this.used + size > (this.chunks[this.chunks.length - 1]?.length ?? 0)) {
      this.chunks.push(Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, size)));
      this.used = 0;
    }
    const chunk = this.chunks[this.chunks.length - 1]!;
    event.delivered.copy(chunk, this.used);
    key?.copy(chunk, this.used + event.delivered.length);
    const i = this.count;
    this.offsets.set(i, event.offset);
    this.times.set(i, event.enqueuedTimeMs);
    this.chunkOf.set(i, this.chunks.length - 1);
    this.startOf.set(i, this.used);
    this.lengthOf.set(i, event.delivered.length);
    this.keyLengthOf.set(i, key === undefined ? NO_KEY : key.length);
    this.used += size;
    this.count += 1;
  }

  /** The event at `index`; its `delivered` is a view into a chunk (copy it to keep it past a truncate). */
  at(index: number): PackedEvent | undefined {
    if (index < 0 || index >= this.count) return undefined;
    const chunk = this.chunks[this.chunkOf.get(index)]!;
    const start = this.startOf.get(index);
    const end = start + this.lengthOf.get(index);
    const keyLength = this.keyLengthOf.get(index);
    return {
      offset: this.offsets.get(index),
      enqueuedTimeMs: this.times.get(index),
      partitionKey: keyLength === NO_KEY ? undefined : chunk.toString("utf8", end, end + keyLength),
      delivered: chunk.subarray(start, end),
    };
  }

  /** Drops the events from `length` on (a failed append); the next ones overwrite their bytes. */
  truncate(length: number): void {
    if (length >= this.count) return;
    this.count = length;
    const keep = length === 0 ? -1 : this.chunkOf.get(length - 1);
    this.chunks.length = keep + 1;
    this.used = keep < 0 ? CHUNK_BYTES : this.endOf(length - 1);
  }

  private endOf(index: number): number {
    const keyLength = this.keyLengthOf.get(index);
    return this.startOf.get(index) + this.lengthOf.get(index) + (keyLength === NO_KEY ? 0 : keyLength);
  }
}
