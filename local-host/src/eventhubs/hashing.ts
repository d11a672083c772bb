/**
 * Event Hubs partition-key hashing: Bob Jenkins' lookup3 "hashlittle2" over the key's UTF-8 bytes, folded to a
 * signed 16-bit value (c ^ b). The service and the SDKs that resolve keys client-side map a key to
 * `abs(hash % partitionCount)`, so keyed events land on the same partition here as in Azure.
 */

const rot = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

interface State {
  a: number;
  b: number;
  c: number;
}

const mix = (s: State): void => {
  s.a = (s.a - s.c) >>> 0;
  s.a = (s.a ^ rot(s.c, 4)) >>> 0;
  s.c = (s.c + s.b) >>> 0;
  s.b = (s.b - s.a) >>> 0;
  s.b = (s.b ^ rot(s.a, 6)) >>> 0;
  s.a = (s.a + s.c) >>> 0;
  s.c = (s.c - s.b) >>> 0;
  s.c = (s.c ^ rot(s.b, 8)) >>> 0;
  s.b = (s.b + s.a) >>> 0;
  s.a = (s.a - s.c) >>> 0;
  s.a = (s.a ^ rot(s.c, 16)) >>> 0;
  s.c = (s.c + s.b) >>> 0;
  s.b = (s.b - s.a) >>> 0;
  s.b = (s.b ^ rot(s.a, 19)) >>> 0;
  s.a = (s.a + s.c) >>> 0;
  s.c = (s.c - s.b) >>> 0;
  s.c = (s.c ^ rot(s.b, 4)) >>> 0;
  s.b = (s.b + s.a) >>> 0;
};

const final = (s: State): void => {
  const step = (x: "a" | "b" | "c", y: "a" | "b" | "c", k: number): void => {
    s[x] = (s[x] ^ s[y]) >>> 0;
    s[x] = (s[x] - rot(s[y], k)) >>> 0;
  };
  step("c", "b", 14);
  step("a", "c", 11);
  step("b", "a", 25);
  step("c", "b", 16);
  step("a", "c", 4);
  step("b", "a", 14);
  step("c", "b", 24);
};

/** Adds the little-endian bytes data[at .. at+n) (n <= 4) to a word, as lookup3's tail switch does. */
const partialWord = (data: Buffer, at: number, n: number): number => {
  let word = 0;
  for (let i = 0; i < n; i++) word += (data[at + i] ?? 0) * 2 ** (8 * i);
  return word;
};

const hashlittle2 = (data: Buffer): { b: number; c: number } => {
  const init = (0xdeadbeef + data.length) >>> 0;
  const s: State = { a: init, b: init, c: init };
  let at = 0;
  let left = data.length;
  while (left > 12) {
    s.a = (s.a + data.readUInt32LE(at)) >>> 0;
    s.b = (s.b + data.readUInt32LE(at + 4)) >>> 0;
    s.c = (s.c + data.readUInt32LE(at + 8)) >>> 0;
    mix(s);
    at += 12;
    left -= 12;
  }
  if (left === 0) return { b: s.b, c: s.c };
  s.a = (s.a + partialWord(data, at, Math.min(left, 4))) >>> 0;
  if (left > 4) s.b = (s.b + partialWord(data, at + 4, Math.min(left - 4, 4))) >>> 0;
  if (left > 8) s.c = (s.c + partialWord(data, at + 8, left - 8)) >>> 0;
  final(s);
  return { b: s.b, c: s.c };
};

/** The signed 16-bit hash Event Hubs derives from a partition key. */
export const partitionKeyHash = (partitionKey: string): number => {
  const { b, c } = hashlittle2(Buffer.from(partitionKey, "utf8"));
  return ((c ^ b) << 16) >> 16;
};

/** The partition index a key maps to, among partitionCount partitions. */
export const partitionForKey = (partitionKey: string, partitionCount: number): number =>
  Math.abs(partitionKeyHash(partitionKey) % partitionCount);
