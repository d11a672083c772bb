import { odata, type TableClient } from "@azure/data-tables";
import * as t from "io-ts";

import { type Delivery } from "../../domain/deliveryPlan";
import { type Sequence, SequenceCodec } from "../../domain/ordering";
import { statusOf, tableInitializer } from "./tableErrors";

/** An ordered dead letter's place in its stream, with the stream's opaque id for operators (the API shows it). */
export const DeadLetterSequence = t.intersection([SequenceCodec, t.partial({ subjectId: t.string })]);
export type DeadLetterSequence = t.TypeOf<typeof DeadLetterSequence>;
const sequenceOf = ({ subjectId: _subjectId, ...sequence }: DeadLetterSequence): Sequence => sequence;

/**
 * A delivery given up on: everything needed to send it again with the same delivery id. `body` is exactly the
 * body that was sent; `headers` are the webhook's own at the time (signatures are made afresh on replay, never
 * stored).
 */
export const DeadLetter = t.intersection(
  [
    t.type({
      deliveryId: t.string,
      webhookId: t.string,
      eventId: t.string,
      url: t.string,
      body: t.string,
      headers: t.record(t.string, t.string),
      attempts: t.number,
      reason: t.string,
      firstAttemptAt: t.string,
      deadLetteredAt: t.string,
    }),
    t.partial({
      subject: t.string,
      sequence: DeadLetterSequence,
      lastStatus: t.number,
      lastError: t.string,
    }),
  ],
  "DeadLetter",
);
export type DeadLetter = t.TypeOf<typeof DeadLetter>;

/** A dead letter as stored: the row's ETag changes whenever the delivery is dead-lettered again. */
export interface StoredDeadLetter {
  readonly letter: DeadLetter;
  readonly etag: string;
}

/** One webhook's dead letters dead-lettered in [from, until): the window a recovery works through. */
export interface DeadLetterWindow {
  readonly webhookId: string;
  readonly from: string;
  readonly until: string;
}

/** A page of a window and where the next one starts (none: the window is done). */
export interface DeadLetterPage {
  readonly items: ReadonlyArray<StoredDeadLetter>;
  readonly next?: string;
}

/** `changed`: the row was written again since the ETag given was read; it was kept. */
export type RemoveResult = "removed" | "absent" | "changed";

export interface DeadLetterStore {
  readonly put: (letters: ReadonlyArray<DeadLetter>) => Promise<void>;
  readonly get: (deliveryId: string) => Promise<StoredDeadLetter | undefined>;
  readonly list: (options?: { webhookId?: string; limit?: number }) => Promise<ReadonlyArray<DeadLetter>>;
  /** Up to `size` dead letters of the window, in delivery id order, from the `after` of an earlier page. */
  readonly page: (window: DeadLetterWindow, size: number, after?: string) => Promise<DeadLetterPage>;
  /** How many dead letters the window holds (reads only their keys). */
  readonly count: (window: DeadLetterWindow) => Promise<number>;
  /** Removes the row, or with `ifMatch` only the version with that ETag. */
  readonly remove: (deliveryId: string, ifMatch?: string) => Promise<RemoveResult>;
}

const PARTITION = "deadletter";

const fromEntity = (e: Record<string, unknown>): DeadLetter => ({
  deliveryId: String(e.rowKey),
  webhookId: String(e.webhookId),
  eventId: String(e.eventId),
  ...(typeof e.subject === "string" ? { subject: e.subject } : {}),
  ...(typeof e.sequence === "string" ? { sequence: JSON.parse(e.sequence) as DeadLetterSequence } : {}),
  url: String(e.url),
  body: String(e.body),
  headers: JSON.parse(String(e.headers)) as Record<string, string>,
  attempts: Number(e.attempts),
  ...(typeof e.lastStatus === "number" ? { lastStatus: e.lastStatus } : {}),
  ...(typeof e.lastError === "string" ? { lastError: e.lastError } : {}),
  reason: String(e.reason),
  firstAttemptAt: String(e.firstAttemptAt),
  deadLetteredAt: String(e.deadLetteredAt),
});

// ISO times of toISOString() all have one shape, so comparing them as strings compares the instants.
const windowFilter = (w: DeadLetterWindow): string =>
  odata`PartitionKey eq ${PARTITION} and webhookId eq ${w.webhookId} and deadLetteredAt ge ${w.from} and deadLetteredAt lt ${w.until}`;

/** The delivery a dead letter stands for (same id, same message), for replay. */
export const deliveryOf = (letter: DeadLetter): Delivery => {
  const message = JSON.parse(letter.body) as Delivery["message"];
  return {
    id: letter.deliveryId,
    eventId: letter.eventId,
    webhookId: letter.webhookId,
    ...(letter.subject === undefined ? {} : { subject: letter.subject }),
    // A replay is an operator's re-send: it carries its sequence headers but is not held behind its stream.
    ...(letter.sequence === undefined ? {} : { sequence: { ...sequenceOf(letter.sequence), resend: true } }),
    message,
  };
};

/**
 * Dead letters keyed by delivery id. Failure policy: dead-lettering the same delivery again (a replay that
 * failed too) replaces the row, so there is one row per delivery, never a lost one.
 */
export const makeTableDeadLetterStore = (client: TableClient): DeadLetterStore => {
  const ready = tableInitializer(client);
  return {
    async put(letters) {
      if (letters.length === 0) return;
      await ready();
      await Promise.all(
        letters.map((l) =>
          client.upsertEntity(
            {
              partitionKey: PARTITION,
              rowKey: l.deliveryId,
              webhookId: l.webhookId,
              eventId: l.eventId,
              ...(l.subject === undefined ? {} : { subject: l.subject }),
              ...(l.sequence === undefined ? {} : { sequence: JSON.stringify(l.sequence) }),
              url: l.url,
              body: l.body,
              headers: JSON.stringify(l.headers),
              attempts: l.attempts,
              ...(l.lastStatus === undefined ? {} : { lastStatus: l.lastStatus }),
              ...(l.lastError === undefined ? {} : { lastError: l.lastError }),
              reason: l.reason,
              firstAttemptAt: l.firstAttemptAt,
              deadLetteredAt: l.deadLetteredAt,
            },
            "Replace",
          ),
        ),
      );
    },
    async get(deliveryId) {
      await ready();
      try {
        const entity = await client.getEntity<Record<string, unknown>>(PARTITION, deliveryId);
        return { letter: fromEntity(entity), etag: entity.etag };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },
    async list(options = {}) {
      await ready();
      const filter =
        options.webhookId === undefined
          ? odata`PartitionKey eq ${PARTITION}`
          : odata`PartitionKey eq ${PARTITION} and webhookId eq ${options.webhookId}`;
      const items: DeadLetter[] = [];
      for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        items.push(fromEntity(e));
        if (items.length >= (options.limit ?? 100)) break;
      }
      return items;
    },
    async page(window, size, after) {
      await ready();
      // Rows come in RowKey (delivery id) order, so the last one read is where the next page starts; rows removed
      // before it (handed over) and rows written later (a newer deadLetteredAt) never move it.
      const filter =
        after === undefined
          ? windowFilter(window)
          : `${windowFilter(window)} and ${odata`RowKey gt ${after}`}`;
      const items: StoredDeadLetter[] = [];
      const pages = client
        .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
        .byPage({ maxPageSize: size });
      // A filtered query may answer with fewer rows than asked (even none) and a continuation: read on.
      for await (const rows of pages) {
        for (const e of rows.slice(0, size - items.length))
          items.push({ letter: fromEntity(e), etag: e.etag });
        if (items.length >= size) break;
      }
      const last = items[items.length - 1];
      return items.length < size || last === undefined ? { items } : { items, next: last.letter.deliveryId };
    },
    async count(window) {
      await ready();
      let n = 0;
      const rows = client.listEntities({
        queryOptions: { filter: windowFilter(window), select: ["RowKey"] },
      });
      for await (const _ of rows) n++;
      return n;
    },
    async remove(deliveryId, ifMatch) {
      await ready();
      try {
        await client.deleteEntity(PARTITION, deliveryId, ifMatch === undefined ? {} : { etag: ifMatch });
        return "removed";
      } catch (error) {
        if (statusOf(error) === 404) return "absent";
        if (statusOf(error) === 412) return "changed";
        throw error;
      }
    },
  };
};
