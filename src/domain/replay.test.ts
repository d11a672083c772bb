import * as E from "fp-ts/Either";

import { advance, paceDelayMs, roundsBySubject, validateReplayRequest } from "./replay";
import { type Webhook } from "./webhook";

const at = (s: number): string => new Date(Date.UTC(2026, 2, 1, 10, 0, s)).toISOString();
const event = (sequenceNumber: number, second: number) => ({
  sequenceNumber,
  enqueuedTime: at(second),
  body: {},
});

describe("advance (a partition's position after one page)", () => {
  const window = { from: at(0), to: at(10) };
  it.each([
    [
      "keeps a full page and moves to its last event",
      [event(1, 1), event(2, 2)],
      { lastSequenceNumber: 9, lastEnqueuedTime: at(20) },
      { finished: false, sequenceNumber: 2 },
      2,
    ],
    [
      "finishes at the first event after to, keeping those before",
      [event(5, 9), event(6, 11)],
      { lastSequenceNumber: 9, lastEnqueuedTime: at(20) },
      { finished: true, sequenceNumber: 5 },
      1,
    ],
    [
      "finishes at the partition's end",
      [event(8, 3), event(9, 4)],
      { lastSequenceNumber: 9, lastEnqueuedTime: at(4) },
      { finished: true, sequenceNumber: 9 },
      2,
    ],
    ["finishes an empty partition", [], {}, { finished: true }, 0],
    [
      "finishes a partition with nothing since from",
      [],
      { lastSequenceNumber: 3, lastEnqueuedTime: at(-5) },
      { finished: true },
      0,
    ],
    [
      "reads again after an empty page that is not at the end",
      [],
      { lastSequenceNumber: 3, lastEnqueuedTime: at(5) },
      { finished: false },
      0,
    ],
  ])("%s", (_what, page, end, position, kept) => {
    const next = advance({ position: { finished: false }, page, ...window, end });
    expect(next.position).toEqual(position);
    expect(next.kept).toHaveLength(kept);
  });
});

describe("validateReplayRequest", () => {
  const webhook = { subscriptions: ["ping"] } as unknown as Webhook;
  const now = new Date(at(100));
  const check = (body: unknown) => validateReplayRequest({ body, webhook, now, retentionDays: 1 });
  const paths = (body: unknown) => {
    const result = check(body);
    return E.isLeft(result) ? result.left.map((e) => e.path) : [];
  };

  it("defaults to now, the webhook's subscriptions and 200 events/s", () => {
    expect(check({ from: at(0) })).toEqual(
      E.right({ from: at(0), to: now.toISOString(), events: ["ping"], rate: 200 }),
    );
  });
  it.each([
    ["from after to", { from: at(50), to: at(40) }, ["/from"]],
    ["to in the future", { from: at(0), to: at(200) }, ["/to"]],
    ["from before the retention", { from: "2000-01-01T00:00:00Z" }, ["/from"]],
    ["an unknown event name", { from: at(0), events: ["ping", "nope"] }, ["/events/1"]],
    [
      "an event the webhook is not subscribed to",
      { from: at(0), events: ["service:subscribed"] },
      ["/events/0"],
    ],
    ["a rate out of range", { from: at(0), rate: 0 }, ["/rate"]],
    ["no from", {}, ["/from"]],
  ])("refuses %s, naming the field", (_what, body, expected) => {
    expect(paths(body)).toEqual(expected);
  });
});

describe("paceDelayMs", () => {
  it("waits for what the rate still allows", () => {
    expect(paceDelayMs(200, 200, 300)).toBe(700);
    expect(paceDelayMs(200, 200, 1500)).toBe(0);
  });
});

describe("roundsBySubject", () => {
  const d = (id: string, subject?: string) => ({ id, ...(subject === undefined ? {} : { subject }) });
  it.each([
    ["nothing", [], []],
    ["one per subject: one round", [d("a1", "A"), d("b1", "B")], [["a1", "b1"]]],
    [
      "a subject's later deliveries in later rounds, in page order",
      [d("a1", "A"), d("b1", "B"), d("a2", "A"), d("a3", "A"), d("b2", "B")],
      [["a1", "b1"], ["a2", "b2"], ["a3"]],
    ],
    [
      "no subject: the first round",
      [d("a1", "A"), d("p1"), d("a2", "A"), d("p2")],
      [["a1", "p1", "p2"], ["a2"]],
    ],
  ])("%s", (_what, deliveries, expected) => {
    expect(roundsBySubject(deliveries).map((r) => r.map((x) => x.id))).toEqual(expected);
  });
});
