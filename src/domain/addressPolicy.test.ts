import fc from "fast-check";

import { blockedAddressReason, blockedHostLiteralReason, parseIpLiteral } from "./addressPolicy";

const hex = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString("hex");

describe("parseIpLiteral", () => {
  it.each([
    ["1.2.3.4", 4, "01020304"],
    ["255.255.255.255", 4, "ffffffff"],
    ["0.0.0.0", 4, "00000000"],
    ["::", 6, "00000000000000000000000000000000"],
    ["::1", 6, "00000000000000000000000000000001"],
    ["[::1]", 6, "00000000000000000000000000000001"],
    ["1::", 6, "00010000000000000000000000000000"],
    ["2001:db8::8:800:200c:417a", 6, "20010db80000000000080800200c417a"],
    ["FE80:0:0:0:0:0:0:1", 6, "fe800000000000000000000000000001"],
    ["::ffff:1.2.3.4", 6, "00000000000000000000ffff01020304"],
    ["[::ffff:7f00:1]", 6, "00000000000000000000ffff7f000001"],
    ["64:ff9b::192.0.2.33", 6, "0064ff9b0000000000000000c0000221"],
    ["1:2:3:4:5:6:7:8", 6, "00010002000300040005000600070008"],
    ["1:2:3:4:5:6:1.2.3.4", 6, "00010002000300040005000601020304"],
  ])("parses %s", (text, family, bytes) => {
    const ip = parseIpLiteral(text);
    expect(ip?.family).toBe(family);
    expect(hex(ip?.bytes)).toBe(bytes);
  });

  it.each([
    "",
    "localhost",
    "example.com",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4", // octal-looking: not a canonical literal
    "0x7f.0.0.1",
    "2130706433",
    "1.2.3.4 ",
    "[1.2.3.4]",
    "fe80::1%eth0", // zone ids are refused
    "[fe80::1%25eth0]",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    ":::",
    "1:",
    ":1",
    "12345::",
    "::ffff:1.2.3",
    "1.2.3.4::",
    "[::1",
    "1:2:3:4:5:6:7::8:9",
  ])("rejects %j", (text) => {
    expect(parseIpLiteral(text)).toBeUndefined();
  });
});

describe("blockedAddressReason", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["10.1.2.3", "private network"],
    ["172.16.0.1", "private network"],
    ["172.31.255.255", "private network"],
    ["192.168.1.1", "private network"],
    ["fc00::1", "unique local (private) network"],
    ["fdab:1234::1", "unique local (private) network"],
    ["169.254.1.1", "link-local"],
    ["fe80::1", "link-local"],
    ["febf::1", "link-local"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["ff02::1", "multicast"],
    ["0.0.0.0", "unspecified (this network)"],
    ["0.1.2.3", "unspecified (this network)"],
    ["::", "unspecified"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["169.254.169.254", "cloud metadata service"],
    ["fd00:ec2::254", "cloud metadata service"],
    ["::ffff:127.0.0.1", "IPv4-mapped form of a blocked IPv4 address (loopback)"],
    ["::ffff:a9fe:a9fe", "IPv4-mapped form of a blocked IPv4 address (cloud metadata service)"],
    ["::127.0.0.1", "IPv4-compatible form of a blocked IPv4 address (loopback)"],
    ["::ffff:0:10.0.0.1", "IPv4-translated form of a blocked IPv4 address (private network)"],
    ["64:ff9b::10.0.0.1", "NAT64 form of a blocked IPv4 address (private network)"],
    ["64:ff9b::a9fe:a9fe", "NAT64 form of a blocked IPv4 address (cloud metadata service)"],
    ["2002:c0a8:0101::1", "6to4 form of a blocked IPv4 address (private network)"],
    ["2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo form of a blocked IPv4 address (loopback)"],
    ["64:ff9b:1::1", "NAT64 local-use prefix"],
    ["not-an-ip", "not an IP address"],
    ["fe80::1%eth0", "not an IP address"],
  ])("blocks %s (%s)", (address, reason) => {
    expect(blockedAddressReason(address)).toBe(reason);
  });

  it.each([
    "1.1.1.1",
    "8.8.8.8",
    "100.63.255.255", // just below CGNAT
    "100.128.0.0", // just above CGNAT
    "172.15.255.255",
    "172.32.0.0",
    "169.253.255.255",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2002:0808:0808::1",
    "fbff:ffff::1", // just below fc00::/7
    "fe7f::1", // just below fe80::/10
  ])("allows public address %s", (address) => {
    expect(blockedAddressReason(address)).toBeUndefined();
  });
});

describe("blockedHostLiteralReason", () => {
  it.each([
    ["http://2130706433/", "loopback"],
    ["http://0x7f.1/", "loopback"],
    ["http://0177.0.0.1/", "loopback"],
    ["http://127.1/", "loopback"],
    ["http://127.0.0.1./", "loopback"],
    ["http://[::1]:8080/", "loopback"],
    ["http://[0:0:0:0:0:0:0:1]/", "loopback"],
    ["http://[::ffff:127.0.0.1]/", "IPv4-mapped form of a blocked IPv4 address (loopback)"],
    ["http://169.254.169.254/latest/meta-data", "cloud metadata service"],
    ["http://0xa9.0xfe.0xa9.0xfe/", "cloud metadata service"],
    ["http://[fd00:ec2::254]/", "cloud metadata service"],
  ])("refuses the literal in %s", (url, reason) => {
    expect(blockedHostLiteralReason(new URL(url).hostname)).toBe(reason);
  });

  it.each([
    "http://localhost/",
    "https://example.com/hook",
    "http://localhost./",
    "https://8.8.8.8/",
    "https://[2606:4700::1111]/",
  ])("leaves %s to the connect-time check or allows it", (url) => {
    expect(blockedHostLiteralReason(new URL(url).hostname)).toBeUndefined();
  });
});

/** A random address inside one of the blocked IPv4 ranges. */
const blockedIpv4 = fc
  .tuple(
    fc.constantFrom<[number[], number]>(
      [[0], 8],
      [[10], 8],
      [[100, 64], 10],
      [[127], 8],
      [[169, 254], 16],
      [[172, 16], 12],
      [[192, 168], 16],
      [[224], 4],
      [[240], 4],
    ),
    fc.integer({ min: 0, max: 0xffffffff }),
  )
  .map(([[prefix, bits], host]) => {
    const network = prefix.reduce((acc, b, i) => acc | (b << (24 - 8 * i)), 0) >>> 0;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    const value = ((network & mask) | (host & ~mask)) >>> 0;
    return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
  });

const h16 = (hi: number, lo: number): string => ((hi << 8) | lo).toString(16);

describe("embedded IPv4 forms (property)", () => {
  it("every IPv6 form that embeds a blocked IPv4 address is blocked, also after URL normalisation", () => {
    fc.assert(
      fc.property(blockedIpv4, fc.integer({ min: 0, max: 0xffff }), ([a, b, c, d], suffix) => {
        const dotted = `${a}.${b}.${c}.${d}`;
        const hx = `${h16(a!, b!)}:${h16(c!, d!)}`;
        expect(blockedAddressReason(dotted)).toBeDefined();
        const forms = [
          `::ffff:${dotted}`,
          `::ffff:${hx}`,
          `0:0:0:0:0:ffff:${hx}`,
          `::${dotted}`,
          `::ffff:0:${dotted}`,
          `64:ff9b::${dotted}`,
          `64:ff9b::${hx}`,
          `2002:${hx}::${suffix.toString(16)}`,
        ];
        for (const form of forms) {
          expect(blockedAddressReason(form)).toBeDefined();
          expect(blockedHostLiteralReason(new URL(`http://[${form}]/`).hostname)).toBeDefined();
        }
      }),
    );
  });

  it("an IPv4 address and its mapped form get the same verdict", () => {
    fc.assert(
      fc.property(fc.ipV4(), (dotted) => {
        const direct = blockedAddressReason(dotted);
        const mapped = blockedAddressReason(`::ffff:${dotted}`);
        expect(mapped === undefined).toBe(direct === undefined);
      }),
    );
  });

  it("parses every address URL normalisation produces, to the same bytes as the other notation", () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const normalised = new URL(`http://[${text}]/`).hostname;
        expect(hex(parseIpLiteral(normalised)?.bytes)).toBe(hex(parseIpLiteral(text)?.bytes));
        expect(parseIpLiteral(text)?.family).toBe(6);
      }),
    );
  });
});
