/**
 * Which IP addresses a webhook may be delivered to. A webhook URL is chosen by an operator, so without this
 * guard a delivery could reach the dispatcher's own network (metadata service, storage emulators, admin
 * endpoints). Pure: parsing and range checks only; the adapter applies them to the address it actually
 * connects to.
 */

export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

const DECIMAL_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Parses a dotted-quad IPv4 address or an IPv6 address (optionally in URL brackets) into bytes.
 * Deliberately strict: octal/hex/short IPv4 forms ("0177.1", "0x7f.1", "127.1") and IPv6 zone ids ("fe80::1%eth0")
 * are not literals here. URL hostnames arrive already normalised by the WHATWG parser, and resolved addresses
 * are canonical, so anything else is not an address this module vouches for.
 */
export const parseIpLiteral = (text: string): IpAddress | undefined => {
  const bracketed = text.startsWith("[") && text.endsWith("]");
  const inner = bracketed ? text.slice(1, -1) : text;
  if (inner.includes(":")) {
    const bytes = parseIpv6(inner);
    return bytes === undefined ? undefined : { family: 6, bytes };
  }
  if (bracketed) return undefined;
  const bytes = parseIpv4(inner);
  return bytes === undefined ? undefined : { family: 4, bytes };
};

const parseIpv4 = (text: string): Uint8Array | undefined => {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    if (!DECIMAL_OCTET.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
};

/** Parses 16-bit hex groups; the last group may be an embedded dotted quad (worth two groups). */
const parseGroups = (text: string, allowTrailingIpv4: boolean): number[] | undefined => {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (allowTrailingIpv4 && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
};

const parseIpv6 = (text: string): Uint8Array | undefined => {
  if (text.includes("%")) return undefined; // zone ids name an interface: never a webhook target
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const [head = "", tail] = halves;
  const compressed = tail !== undefined;
  const headGroups = parseGroups(head, !compressed);
  const tailGroups = compressed ? parseGroups(tail, true) : [];
  if (headGroups === undefined || tailGroups === undefined) return undefined;
  const explicit = headGroups.length + tailGroups.length;
  if (compressed ? explicit > 7 : explicit !== 8) return undefined;
  const groups = [...headGroups, ...new Array<number>(8 - explicit).fill(0), ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
};

interface Range {
  readonly prefix: ReadonlyArray<number>; // leading bytes of the network address
  readonly bits: number;
  readonly reason: string;
}

const inRange = (bytes: Uint8Array, { prefix, bits }: Range): boolean => {
  for (let bit = 0; bit < bits; bit += 8) {
    const width = Math.min(8, bits - bit);
    const mask = (0xff << (8 - width)) & 0xff;
    const i = bit / 8;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
};

/** First match wins, so the narrow, more telling ranges come before the wide ones that contain them. */
const IPV4_BLOCKED: ReadonlyArray<Range> = [
  { prefix: [169, 254, 169, 254], bits: 32, reason: "cloud metadata service" },
  { prefix: [255, 255, 255, 255], bits: 32, reason: "broadcast" },
  { prefix: [0], bits: 8, reason: "unspecified (this network)" },
  { prefix: [10], bits: 8, reason: "private network" },
  { prefix: [100, 64], bits: 10, reason: "carrier-grade NAT" },
  { prefix: [127], bits: 8, reason: "loopback" },
  { prefix: [169, 254], bits: 16, reason: "link-local" },
  { prefix: [172, 16], bits: 12, reason: "private network" },
  { prefix: [192, 0, 0], bits: 24, reason: "IETF protocol assignments" },
  { prefix: [192, 168], bits: 16, reason: "private network" },
  { prefix: [198, 18], bits: 15, reason: "benchmarking network" },
  { prefix: [224], bits: 4, reason: "multicast" },
  { prefix: [240], bits: 4, reason: "reserved" },
];

const IPV6_BLOCKED: ReadonlyArray<Range> = [
  {
    prefix: [0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54],
    bits: 128,
    reason: "cloud metadata service",
  },
  { prefix: [], bits: 128, reason: "unspecified" },
  { prefix: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], bits: 128, reason: "loopback" },
  { prefix: [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], bits: 48, reason: "NAT64 local-use prefix" },
  { prefix: [0x01, 0x00, 0, 0, 0, 0, 0, 0], bits: 64, reason: "discard-only" },
  { prefix: [0x20, 0x01, 0x0d, 0xb8], bits: 32, reason: "documentation" },
  { prefix: [0xfc], bits: 7, reason: "unique local (private) network" },
  { prefix: [0xfe, 0x80], bits: 10, reason: "link-local" },
  { prefix: [0xfe, 0xc0], bits: 10, reason: "site-local" },
  { prefix: [0xff], bits: 8, reason: "multicast" },
];

/** IPv6 forms that carry an IPv4 address a packet may end up at; each is judged by that IPv4 address. */
const embeddedIpv4 = (bytes: Uint8Array): { form: string; v4: Uint8Array } | undefined => {
  const last4 = bytes.slice(12, 16);
  const zeros = (from: number, to: number): boolean => bytes.slice(from, to).every((b) => b === 0);
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return { form: "IPv4-mapped", v4: last4 };
  if (zeros(0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && zeros(10, 12)) {
    return { form: "IPv4-translated", v4: last4 };
  }
  if (zeros(0, 12)) return { form: "IPv4-compatible", v4: last4 };
  if (inRange(bytes, { prefix: [0x00, 0x64, 0xff, 0x9b], bits: 96, reason: "" }))
    return { form: "NAT64", v4: last4 };
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return { form: "6to4", v4: bytes.slice(2, 6) };
  if (inRange(bytes, { prefix: [0x20, 0x01, 0, 0], bits: 32, reason: "" })) {
    return { form: "Teredo", v4: last4.map((b) => b ^ 0xff) }; // Teredo stores the client address inverted
  }
  return undefined;
};

const ipv4Reason = (v4: Uint8Array): string | undefined => IPV4_BLOCKED.find((r) => inRange(v4, r))?.reason;

/**
 * Why `address` (an IP literal, as a resolver returns it) must not be a webhook target; undefined if it is a
 * public unicast address. Anything that does not parse as an IP address is refused: fail closed.
 */
export const blockedAddressReason = (address: string): string | undefined => {
  const ip = parseIpLiteral(address);
  if (ip === undefined) return "not an IP address";
  if (ip.family === 4) return ipv4Reason(ip.bytes);
  const own = IPV6_BLOCKED.find((r) => inRange(ip.bytes, r))?.reason;
  if (own !== undefined) return own;
  const embedded = embeddedIpv4(ip.bytes);
  if (embedded === undefined) return undefined;
  const inner = ipv4Reason(embedded.v4);
  return inner === undefined ? undefined : `${embedded.form} form of a blocked IPv4 address (${inner})`;
};

/**
 * For a URL's hostname as the WHATWG URL parser leaves it (IPv4 in any notation normalised to a dotted quad,
 * IPv6 in brackets): the reason an IP literal is refused, or undefined for a DNS name, which is judged by the
 * addresses it resolves to when the connection is made.
 */
export const blockedHostLiteralReason = (hostname: string): string | undefined =>
  parseIpLiteral(hostname) === undefined && !hostname.startsWith("[")
    ? undefined
    : blockedAddressReason(hostname);
