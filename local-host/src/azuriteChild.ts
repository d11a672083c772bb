/**
 * The entry of the Azurite child process (`node azuriteChild.js <azurite arguments>`), which startAzurite spawns.
 *
 * Azurite keeps its metadata (tables and their entities, blob containers, blobs, blocks, extents) in LokiJS
 * databases held in memory and saved to disk every 5 s. A write Azurite has acknowledged can therefore be lost if
 * the process dies before the next save. With `--location`, this file adds a write-ahead journal underneath:
 *
 * - Every change LokiJS makes (a document inserted, updated or removed; a collection added or removed) is appended
 *   to `<database file>.journal.<n>`, one JSON line each, and the lines are written to the file with writeSync
 *   before Azurite sends any HTTP response (ServerResponse.end is wrapped). A process kill after an acknowledgement,
 *   SIGKILL included, loses nothing: the bytes are in the kernel's page cache. The journal is fdatasync'd every
 *   250 ms: a power cut may lose what was acknowledged in the last 250 ms.
 * - When LokiJS saves a database (its adapter's saveDatabase gets the text it serialised in the same tick), the
 *   journal moves on to the next segment; once the save has been renamed into place, older segments are deleted.
 * - When LokiJS loads a database, the segments left beside it are replayed in order, before Azurite uses it. A
 *   segment whose changes the snapshot already holds (the process died between the rename and the deletion) replays
 *   harmlessly: a document present is replaced by its journaled version, and one absent whose id the collection has
 *   already passed was removed before the save, so it is skipped.
 *
 * Azurite itself is unchanged and loaded from its npm package; LokiJS is the copy Azurite resolves.
 */
/* eslint-disable @typescript-eslint/unbound-method -- this file wraps LokiJS methods in place, calling the originals with their own `this` */
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";

interface LokiDoc {
  $loki?: number;
  [key: string]: unknown;
}
interface LokiCollection {
  name: string;
  maxId: number;
  data: LokiDoc[];
  idIndex?: number[];
  get(id: number): LokiDoc | null;
  insertOne(doc: LokiDoc, bulk?: boolean): LokiDoc | undefined;
  update(doc: LokiDoc | LokiDoc[]): unknown;
  remove(doc: LokiDoc | LokiDoc[] | number): unknown;
  removeBatchByPositions(positions: number[]): unknown;
  clear(options?: unknown): unknown;
  ensureId(): void;
}
interface LokiDb {
  filename: string;
  collections: LokiCollection[];
  getCollection(name: string): LokiCollection | null;
  addCollection(name: string, options?: unknown): LokiCollection;
  removeCollection(name: string): void;
  loadDatabase(options: unknown, callback?: (err?: unknown) => void): void;
}
interface LokiStatic {
  prototype: LokiDb;
  Collection: { prototype: LokiCollection };
  LokiFsAdapter: {
    prototype: {
      saveDatabase(name: string, text: unknown, callback: (err?: unknown) => void): void;
    };
  };
}

type Entry =
  | { readonly op: "i" | "u"; readonly c: string; readonly d: LokiDoc }
  | { readonly op: "r"; readonly c: string; readonly id: number }
  | { readonly op: "clear"; readonly c: string }
  | { readonly op: "ac"; readonly c: string; readonly o?: unknown }
  | { readonly op: "rc"; readonly c: string };

const SYNC_MS = 250;

const argValue = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
};

/** One database's journal: the segment being written and the buffered lines not yet written. */
class Journal {
  private seq: number;
  private fd: number;
  private pending: string[] = [];
  private unsynced = false;
  replaying = false;

  constructor(private readonly file: string) {
    const existing = Journal.segments(file);
    this.seq = (existing.at(-1)?.seq ?? 0) + 1;
    this.fd = fs.openSync(this.segmentPath(this.seq), "a");
  }

  static segments(file: string): Array<{ seq: number; path: string }> {
    const dir = path.dirname(file);
    const prefix = `${path.basename(file)}.journal.`;
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
      .map((name) => ({ seq: Number(name.slice(prefix.length)), path: path.join(dir, name) }))
      .sort((a, b) => a.seq - b.seq);
  }

  private segmentPath(seq: number): string {
    return `${this.file}.journal.${String(seq).padStart(8, "0")}`;
  }

  record(entry: Entry): void {
    if (this.replaying) return;
    this.pending.push(JSON.stringify(entry));
  }

  /** Writes the buffered lines to the current segment (synchronously: they are in the page cache after this). */
  write(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join("\n") + "\n";
    this.pending = [];
    fs.writeSync(this.fd, text);
    this.unsynced = true;
  }

  sync(): void {
    if (!this.unsynced) return;
    this.unsynced = false;
    fs.fdatasync(this.fd, () => undefined);
  }

  /** At a save: what is written so far is in the snapshot being saved; later changes go to a new segment.
      Returns the segment numbers the snapshot makes obsolete once it is in place. */
  rotate(): number {
    this.write();
    const done = this.seq;
    fs.closeSync(this.fd);
    this.seq += 1;
    this.fd = fs.openSync(this.segmentPath(this.seq), "a");
    return done;
  }

  dropUpTo(seq: number): void {
    for (const segment of Journal.segments(this.file))
      if (segment.seq <= seq) fs.rmSync(segment.path, { force: true });
  }

  static read(file: string): Entry[] {
    const entries: Entry[] = [];
    for (const segment of Journal.segments(file)) {
      const lines = fs.readFileSync(segment.path, "utf8").split("\n");
      for (const line of lines) {
        if (line === "") continue;
        try {
          entries.push(JSON.parse(line) as Entry);
        } catch {
          // A line torn by a crash can only be the last one written, never acknowledged: it is dropped.
          break;
        }
      }
    }
    return entries;
  }
}

const installJournal = (azuriteEntry: string): void => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Loki = require(require.resolve("lokijs", { paths: [path.dirname(azuriteEntry)] })) as LokiStatic;
  const journals = new Map<string, Journal>();
  const owner = new WeakMap<LokiCollection, Journal>();
  const journalOf = (db: LokiDb): Journal | undefined => {
    if (typeof db.filename !== "string" || db.filename === "") return undefined;
    let journal = journals.get(db.filename);
    if (journal === undefined) {
      journal = new Journal(db.filename);
      journals.set(db.filename, journal);
    }
    return journal;
  };
  const adopt = (db: LokiDb): void => {
    const journal = journalOf(db);
    if (journal !== undefined) for (const c of db.collections) owner.set(c, journal);
  };

  const C = Loki.Collection.prototype;
  const insertOne = C.insertOne;
  C.insertOne = function (this: LokiCollection, doc, bulk) {
    const result = insertOne.call(this, doc, bulk);
    const stored = result === undefined ? undefined : this.get(result.$loki ?? -1);
    if (stored) owner.get(this)?.record({ op: "i", c: this.name, d: stored });
    return result;
  };
  const update = C.update;
  C.update = function (this: LokiCollection, doc) {
    const result = update.call(this, doc);
    if (!Array.isArray(doc)) {
      const stored = this.get(doc.$loki ?? -1);
      if (stored) owner.get(this)?.record({ op: "u", c: this.name, d: stored });
    }
    return result;
  };
  const remove = C.remove;
  C.remove = function (this: LokiCollection, doc) {
    const id = typeof doc === "number" ? doc : Array.isArray(doc) ? undefined : doc.$loki;
    const result = remove.call(this, doc);
    if (id !== undefined) owner.get(this)?.record({ op: "r", c: this.name, id });
    return result;
  };
  const removeBatchByPositions = C.removeBatchByPositions;
  C.removeBatchByPositions = function (this: LokiCollection, positions) {
    const ids = positions.map((p) => this.data[p]?.$loki);
    const result = removeBatchByPositions.call(this, positions);
    const journal = owner.get(this);
    for (const id of ids) if (id !== undefined) journal?.record({ op: "r", c: this.name, id });
    return result;
  };
  const clear = C.clear;
  C.clear = function (this: LokiCollection, options) {
    const result = clear.call(this, options);
    owner.get(this)?.record({ op: "clear", c: this.name });
    return result;
  };

  const D = Loki.prototype;
  const addCollection = D.addCollection;
  D.addCollection = function (this: LokiDb, name, options) {
    const existed = this.getCollection(name) !== null;
    const collection = addCollection.call(this, name, options);
    const journal = journalOf(this);
    if (journal !== undefined) {
      owner.set(collection, journal);
      if (!existed) journal.record({ op: "ac", c: name, o: options });
    }
    return collection;
  };
  const removeCollection = D.removeCollection;
  D.removeCollection = function (this: LokiDb, name) {
    removeCollection.call(this, name);
    journalOf(this)?.record({ op: "rc", c: name });
  };
  const loadDatabase = D.loadDatabase;
  D.loadDatabase = function (this: LokiDb, options, callback) {
    loadDatabase.call(this, options, (err?: unknown) => {
      const journal = journalOf(this);
      if (journal !== undefined) {
        journal.replaying = true;
        try {
          replay(this, Journal.read(this.filename));
        } finally {
          journal.replaying = false;
        }
        adopt(this);
      }
      callback?.(err);
    });
  };

  const A = Loki.LokiFsAdapter.prototype;
  const saveDatabase = A.saveDatabase;
  A.saveDatabase = function (this: unknown, name, text, callback) {
    const journal = journals.get(name);
    // The text was serialised in this same tick: everything written so far is in it.
    const obsolete = journal?.rotate();
    saveDatabase.call(this, name, text, (err?: unknown) => {
      if (err === undefined || err === null) {
        if (obsolete !== undefined) journal?.dropUpTo(obsolete);
      }
      callback(err);
    });
  };

  // Acknowledged means journaled: the buffered lines are written before any response leaves.
  const writeAll = (): void => journals.forEach((j) => j.write());
  const proto = http.ServerResponse.prototype;
  const end = proto.end;
  proto.end = function (this: http.ServerResponse, ...args: unknown[]) {
    writeAll();
    return (end as (...a: unknown[]) => http.ServerResponse).apply(this, args);
  } as typeof end;
  const write = proto.write;
  proto.write = function (this: http.ServerResponse, ...args: unknown[]) {
    writeAll();
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as typeof write;
  setInterval(() => {
    writeAll();
    journals.forEach((j) => j.sync());
  }, SYNC_MS).unref();
  process.on("exit", writeAll);
};

/** Applies journaled changes to a freshly loaded database (see the file comment for why a replay is harmless). */
const replay = (db: LokiDb, entries: readonly Entry[]): void => {
  for (const entry of entries) {
    if (entry.op === "ac") {
      if (db.getCollection(entry.c) === null) db.addCollection(entry.c, entry.o);
      continue;
    }
    if (entry.op === "rc") {
      db.removeCollection(entry.c);
      continue;
    }
    const collection = db.getCollection(entry.c);
    if (collection === null) continue;
    if (entry.op === "clear") {
      collection.clear();
    } else if (entry.op === "r") {
      const doc = collection.get(entry.id);
      if (doc) collection.remove(doc);
    } else {
      const doc = { ...entry.d };
      const id = doc.$loki;
      if (id === undefined) continue;
      if (collection.get(id)) {
        collection.update(doc);
      } else if (id > collection.maxId) {
        delete doc.$loki;
        collection.maxId = id - 1;
        collection.insertOne(doc, true);
      }
    }
  }
};

/** Started by startAzurite: the parent decides when Azurite stops. */
const main = (): void => {
  const entry = require.resolve("azurite/dist/src/azurite.js");
  // Failure policy: if the process that started Azurite dies, even by SIGKILL, its IPC channel closes and Azurite
  // shuts down gracefully, saving its data. Its stdout/stderr pipes died with the parent: writes there must not
  // crash it before it has saved.
  process.on("disconnect", () => {
    for (const stream of [process.stdout, process.stderr]) {
      stream.on("error", () => undefined);
      stream.write = () => true;
    }
    process.kill(process.pid, "SIGTERM");
  });
  // AZURITE_JOURNAL=off exists only to measure the journal's cost (npm run bench -- --persistent); never turn it off
  // otherwise: acknowledged writes are then lost on a kill.
  if (argValue("--location") !== undefined && process.env.AZURITE_JOURNAL !== "off") installJournal(entry);
  // The parent stops Azurite only once it has finished with it, but its clients still hold keep-alive connections,
  // which kept Azurite's servers from closing until the parent's 5 s SIGKILL (after which nothing was saved). On
  // SIGTERM every connection is closed first; Azurite's own handler then closes and saves.
  const servers = new Set<http.Server>();
  const listen = http.Server.prototype.listen;
  http.Server.prototype.listen = function (this: http.Server, ...args: unknown[]) {
    servers.add(this);
    return (listen as (...a: unknown[]) => http.Server).apply(this, args);
  } as typeof listen;
  process.on("SIGTERM", () => servers.forEach((server) => server.closeAllConnections()));
  // The IPC channel is only a watchdog: it must not keep the process alive once Azurite has shut down (it did, until
  // the parent's SIGKILL 5 s later).
  process.channel?.unref();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(entry);
};

main();
