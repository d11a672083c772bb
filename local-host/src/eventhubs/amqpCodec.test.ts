import fc from "fast-check";
import { message, types } from "rhea";

import { AmqpCodecError, batchEvents, partitionKeyOf, sections, spliceAnnotations } from "./amqpCodec";

const encode = (m: Parameters<typeof message.encode>[0]): Buffer => message.encode(m);

const typedEvent = (): Buffer =>
  encode({
    message_annotations: { "x-opt-partition-key": "key-1", "custom-note": types.wrap_ubyte(7) },
    application_properties: { count: types.wrap_long(5), flag: types.wrap_ubyte(1), name: "x" },
    body: types.wrap_binary(Buffer.from("hello")),
  });

const annotations = {
  sequenceNumber: 41,
  offset: "1234",
  enqueuedTimeMs: 1_700_000_000_123,
  partitionKey: "key-1",
};

describe("AMQP codec", () => {
  it("splices broker annotations without touching other sections' bytes", () => {
    const original = typedEvent();
    const spliced = spliceAnnotations(original, annotations);
    const sectionBytes = (buf: Buffer, code: number): Buffer | undefined => {
      const s = sections(buf).find((x) => x.code === code);
      return s === undefined ? undefined : buf.subarray(s.start, s.end);
    };
    expect(sectionBytes(spliced, 0x74)).toEqual(sectionBytes(original, 0x74));
    expect(sectionBytes(spliced, 0x75)).toEqual(sectionBytes(original, 0x75));
    const decoded = message.decode(spliced);
    expect(decoded.message_annotations).toEqual({
      "custom-note": 7,
      "x-opt-partition-key": "key-1",
      "x-opt-sequence-number": 41,
      "x-opt-offset": "1234",
      "x-opt-enqueued-time": new Date(1_700_000_000_123),
    });
  });

  it("adds a message-annotations section after the header when the event has none", () => {
    const original = encode({ durable: true, application_properties: { a: "b" }, body: "text" });
    const decoded = message.decode(spliceAnnotations(original, { ...annotations, partitionKey: undefined }));
    expect(decoded.durable).toBe(true);
    expect(decoded.application_properties).toEqual({ a: "b" });
    expect(decoded.body).toBe("text");
    expect(decoded.message_annotations?.["x-opt-sequence-number"]).toBe(41);
    expect(decoded.message_annotations?.["x-opt-partition-key"]).toBeUndefined();
  });

  it("keeps any string body intact through splicing (long strings use 32-bit encodings)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.string({ maxLength: 300 }), (body, key) => {
        const spliced = spliceAnnotations(encode({ body }), {
          ...annotations,
          partitionKey: key,
          offset: key,
        });
        const decoded = message.decode(spliced);
        expect(decoded.body).toBe(body);
        expect(decoded.message_annotations?.["x-opt-partition-key"]).toBe(key);
        expect(decoded.message_annotations?.["x-opt-offset"]).toBe(key);
      }),
      { numRuns: 200 },
    );
  });

  it("splits a batch envelope into its events and reads the envelope's partition key", () => {
    const events = [typedEvent(), encode({ body: "second" })];
    const envelope = encode({
      message_annotations: { "x-opt-partition-key": "key-1" },
      body: message.data_sections(events),
    });
    expect(batchEvents(envelope)).toEqual(events);
    expect(partitionKeyOf(envelope)).toBe("key-1");
    expect(partitionKeyOf(events[1]!)).toBeUndefined();
  });

  it("rejects truncated or malformed bytes with a codec error", () => {
    const event = typedEvent();
    expect(() => batchEvents(event.subarray(0, event.length - 3))).toThrow(AmqpCodecError);
    expect(() => sections(Buffer.from([0x01, 0x02]))).toThrow(AmqpCodecError);
    expect(() => sections(Buffer.from([0x00, 0x53, 0x75, 0x04]))).toThrow(AmqpCodecError);
  });
});
