import fc from "fast-check";

/**
 * Event bodies that are malformed by construction, whatever the values drawn: each one fails the catalogue for
 * a reason its arbitrary guarantees (no JSON, no known name, a required field of the wrong type or absent).
 * A Buffer is sent as raw bytes; any other value is JSON-encoded by the Event Hubs SDK.
 */

const KNOWN_NAMES = [
  "ping",
  "service:subscribed",
  "ping:all",
  "profile:completed",
  "profile:service-preferences-changed",
];
/** A valid-pattern fiscal code (fictitious). */
const FISCAL_CODE = "AAAAAA00A00A000A";
const FISCAL_CODE_PATTERN =
  /^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/;

const bytes = (text: string): Buffer => Buffer.from(text, "utf8");

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** Names the catalogue does not know, including Object.prototype's own ("constructor", "toString", ...). */
const unknownName = fc
  .oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.constantFrom(
      "PING",
      "ping ",
      " ping",
      "Ping:All",
      "profile:Completed",
      "ping:ALL",
      "service-subscribed",
      "constructor",
      "__proto__",
      "toString",
      "hasOwnProperty",
    ),
  )
  .filter((name) => !KNOWN_NAMES.includes(name));

/** Not JSON at all: random text, or a valid event cut short. */
const invalidJson = fc.oneof(
  fc
    .string({ unit: "binary", minLength: 1, maxLength: 200 })
    .filter((t) => !isJson(t))
    .map(bytes),
  fc
    .integer({ min: 1, max: 30 })
    .map((cut) => bytes(JSON.stringify({ name: "ping", payload: { name: "cut-short" } }).slice(0, cut))),
);

/** A value that is not a non-blank string. */
const notANonBlankString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.constantFrom("", " ", "\t\n"),
);

/** Known names with payloads of the wrong shape or types, and names or bodies of the wrong type. */
const wrongTypes = fc.oneof(
  notANonBlankString.map((name) => ({ name: "ping", payload: { name } })),
  fc
    .oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 1 }))
    .filter((p) => typeof p !== "object" || p === null || Array.isArray(p))
    .map((payload) => ({ name: "ping", ...(payload === undefined ? {} : { payload }) })),
  fc
    .string({ maxLength: 20 })
    .filter((code) => !FISCAL_CODE_PATTERN.test(code))
    .map((fiscalCode) => ({ name: "service:subscribed", payload: { serviceId: "svc", fiscalCode } })),
  notANonBlankString.map((serviceId) => ({
    name: "service:subscribed",
    payload: { serviceId, fiscalCode: FISCAL_CODE },
  })),
  fc
    .string({ maxLength: 10 })
    .filter((mode) => !["LEGACY", "AUTO", "MANUAL"].includes(mode))
    .map((mode) => ({
      name: "profile:completed",
      payload: { fiscalCode: FISCAL_CODE, servicePreferencesMode: mode },
    })),
  fc
    .oneof(fc.integer(), fc.boolean(), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }))
    .map((name) => ({
      name,
      payload: { name: "x" },
    })),
  fc.oneof(fc.integer(), fc.string(), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 })),
);

const unknownNames = fc.record({ name: unknownName, payload: fc.jsonValue({ maxDepth: 2 }) });

/** `__proto__` / `constructor` keys carrying what would have been a valid event (as raw JSON: own keys). */
const prototypeKeys = fc
  .tuple(fc.constantFrom("__proto__", "constructor", "prototype"), fc.integer({ min: 0, max: 3 }))
  .map(([key, shape]) => {
    const templates = [
      `{"${key}":{"name":"ping","payload":{"name":"x"}}}`,
      `{"${key}":{"name":"ping"},"payload":{"name":"x"}}`,
      `{"name":"ping","payload":{"${key}":{"name":"x"}}}`,
      `{"name":"service:subscribed","payload":{"${key}":{"serviceId":"s","fiscalCode":"${FISCAL_CODE}"}}}`,
    ];
    return bytes(templates[shape]!);
  });

/** Deep nesting where a string is required (kept under the depth that crashes the decoder; see the test). */
const deepNesting = fc
  .tuple(fc.integer({ min: 50, max: 12_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    bytes(
      arrays
        ? `{"name":"ping","payload":{"name":${"[".repeat(depth)}${"]".repeat(depth)}}}`
        : `{"name":"ping","payload":{"name":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}}`,
    ),
  );

/** Bytes that are not UTF-8 (a lone 0xff/0xfe/0xc0/0x80), in random bytes or where JSON needs a value. */
const nonUtf8 = fc.oneof(
  fc
    .tuple(
      fc.uint8Array({ maxLength: 100 }),
      fc.constantFrom(0xff, 0xfe, 0xc0, 0x80),
      fc.uint8Array({ maxLength: 100 }),
    )
    .map(([head, bad, tail]) => Buffer.concat([Buffer.from(head), Buffer.from([bad]), Buffer.from(tail)])),
  fc
    .constantFrom(0xff, 0xfe, 0xc0)
    .map((bad) =>
      Buffer.concat([bytes('{"name":"ping","payload":{"name":'), Buffer.from([bad, bad]), bytes("}}")]),
    ),
);

/** The everyday malformed events, with fixed proportions of each kind. */
export const malformedEvent: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: invalidJson, weight: 3 },
  { arbitrary: wrongTypes, weight: 4 },
  { arbitrary: unknownNames, weight: 2 },
  { arbitrary: prototypeKeys, weight: 1 },
  { arbitrary: deepNesting, weight: 1 },
  { arbitrary: nonUtf8, weight: 2 },
);

/** Bodies near (under) the 1 MB AMQP message limit: an unusable ping, or text that is not JSON. */
export const hugeEvent: fc.Arbitrary<unknown> = fc
  .tuple(fc.integer({ min: 900_000, max: 1_000_000 }), fc.boolean())
  .map(([size, json]) =>
    json
      ? bytes(JSON.stringify({ name: "ping", payload: { name: 42 }, pad: "x".repeat(size) }))
      : bytes("not json ".repeat(Math.floor(size / 9))),
  );

/** `count` malformed events, `huge` of them near 1 MB spread among the rest, the same for the same seed. */
export const malformedEvents = (seed: number, count: number, huge: number): ReadonlyArray<unknown> => {
  const events: unknown[] = fc.sample(malformedEvent, { seed, numRuns: count - huge });
  fc.sample(hugeEvent, { seed, numRuns: huge }).forEach((body, i) =>
    events.splice(Math.floor(((i + 0.5) * count) / huge), 0, body),
  );
  return events;
};
