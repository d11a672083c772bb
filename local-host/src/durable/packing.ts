import { deflateRawSync, inflateRawSync } from "node:zlib";

/**
 * Splits long text over Table Storage properties and entities. A string property holds at most 64 KiB of UTF-16
 * (32 Ki chars) and an entity at most 1 MiB, so text is cut into 30,000-char chunks, 14 per entity; chunks never
 * split a surrogate pair. Rows of text longer than COMPRESS_CHARS hold it deflated (level 1) and base64-encoded,
 * marked `z: 1`: histories repeat themselves (a plan's deliveries come back as chunk inputs and reports), and the
 * Durable Task Framework's Azure Storage backend compresses large messages for the same reason.
 */
export const CHUNK_CHARS = 30_000;
export const COMPRESS_CHARS = 4096;
export const CHUNKS_PER_ROW = 14;

export type PackedRow = Record<string, string | number>;

const deflated = (ascii: string): string =>
  deflateRawSync(Buffer.from(ascii, "latin1"), { level: 1 }).toString("base64");
const inflated = (base64: string): string => inflateRawSync(Buffer.from(base64, "base64")).toString("latin1");

/**
 * Escapes every non-ASCII character of a JSON text as \uXXXX (the same JSON value). Azurite garbles long strings
 * whose multi-byte characters straddle a network chunk; stored text is therefore always ASCII.
 */
export const asciiJson = (json: string): string =>
  json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

export const splitText = (text: string, size = CHUNK_CHARS): string[] => {
  const chunks: string[] = [];
  let at = 0;
  while (at < text.length) {
    let end = Math.min(at + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    chunks.push(text.slice(at, end));
    at = end;
  }
  return chunks.length === 0 ? [""] : chunks;
};

/** Rows holding the JSON text `json`: each has `parts` (row count), `part` (its index), d0..d13 and maybe `z`. */
export const toRows = (json: string): PackedRow[] => {
  const ascii = asciiJson(json);
  const z = ascii.length > COMPRESS_CHARS;
  const chunks = splitText(z ? deflated(ascii) : ascii);
  const rows: PackedRow[] = [];
  for (let i = 0; i < chunks.length; i += CHUNKS_PER_ROW) {
    const row: PackedRow = {};
    chunks.slice(i, i + CHUNKS_PER_ROW).forEach((chunk, j) => (row[`d${j}`] = chunk));
    rows.push(row);
  }
  return rows.map((row, part) => ({ ...row, parts: rows.length, part, ...(z ? { z: 1 } : {}) }));
};

/** Reassembles rows written by toRows (any order); undefined when a part is missing. */
export const fromRows = (rows: ReadonlyArray<Readonly<Record<string, unknown>>>): string | undefined => {
  const parts = rows[0]?.parts;
  if (typeof parts !== "number" || rows.length !== parts) return undefined;
  const sorted = [...rows].sort((a, b) => Number(a.part) - Number(b.part));
  let text = "";
  for (const row of sorted) {
    for (let j = 0; j < CHUNKS_PER_ROW; j++) {
      const chunk = row[`d${j}`];
      if (typeof chunk !== "string") break;
      text += chunk;
    }
  }
  return rows[0]?.z === 1 ? inflated(text) : text;
};

/** Properties `${name}_n`, `${name}_0`.. for a JSON text that fits inline in one entity. */
export const packInline = (name: string, json: string | undefined): PackedRow => {
  if (json === undefined) return {};
  const chunks = splitText(asciiJson(json));
  const row: PackedRow = { [`${name}_n`]: chunks.length };
  chunks.forEach((chunk, i) => (row[`${name}_${i}`] = chunk));
  return row;
};

export const unpackInline = (entity: Readonly<Record<string, unknown>>, name: string): string | undefined => {
  const n = entity[`${name}_n`];
  if (typeof n !== "number") return undefined;
  let text = "";
  for (let i = 0; i < n; i++) {
    const chunk = entity[`${name}_${i}`];
    if (typeof chunk === "string") text += chunk;
  }
  return text;
};
