/**
 * The stored value format: binary and self-describing, raw bytes, never base64.
 *
 *   offset 0  "EISR"            magic (4 bytes)
 *          4  version           1 byte (currently 1)
 *          5  header length     uint32, little-endian
 *          9  header            UTF-8 JSON: key, kind, tags, lastModified, cacheControl,
 *                               the value's plain fields, and a table of parts
 *          …  parts             the html / RSC / body / buffer bytes, back to back,
 *                               each gzip-compressed when that pays, raw otherwise
 *
 * Each part is `[name, encoding, storedBytes, rawBytes, type, crc32?]`: the
 * CRC-32 is of the bytes as stored (compressed or not), so a part is checked
 * before it is served, even when its gzip bytes go to the client as they are;
 * the part lengths must add up to the value's length. Truncation or corruption
 * is always detected and read as a miss. (Entries written before gzip parts had
 * a CRC are checked by their gzip trailer when inflated.)
 */
import { concat, crc32, fromUtf8, toArrayBuffer, toBytes, utf8 } from "./bytes.js";
import { gunzip, gzipIfSmaller } from "./compress.js";
import type { CacheControl, IncrementalCacheKind, IncrementalCacheValue } from "./types.js";

export const MAGIC = [0x45, 0x49, 0x53, 0x52] as const; // "EISR"
export const FORMAT_VERSION = 1;
const PREAMBLE = 9;

/** Everything one KV value holds. */
export interface StoredEntry {
  /** The cache key as the caller gave it (kept so hashed keys can be checked for collisions). */
  key: string;
  value: IncrementalCacheValue | null;
  tags: string[];
  lastModified: number;
  cacheControl: CacheControl | undefined;
}

export interface EncodedEntry {
  bytes: Uint8Array<ArrayBuffer>;
  /** Size of the payload before compression, for stats and the benchmark. */
  rawBytes: number;
}

export type PartType = "t" | "b" | "j"; // text, bytes, JSON
type PartRow = [name: string, gzip: 0 | 1, stored: number, raw: number, type: PartType, crc?: number];

export interface Header {
  k: string;
  kind: IncrementalCacheKind | null;
  tags: string[];
  m: number;
  cc?: CacheControl;
  /** The value's fields that are not stored as parts. */
  f: Record<string, unknown>;
  p: PartRow[];
}

/** Which top-level fields of each kind are stored as parts, and as what. */
const PART_FIELDS: Record<IncrementalCacheKind, readonly (readonly [string, PartType])[]> = {
  APP_PAGE: [
    ["html", "t"],
    ["rscData", "b"],
  ],
  PAGES: [
    ["html", "t"],
    ["pageData", "j"],
  ],
  APP_ROUTE: [["body", "b"]],
  FETCH: [],
  REDIRECT: [],
  IMAGE: [["buffer", "b"]],
};
const SEGMENT_PREFIX = "segmentData/";
const FETCH_BODY = "data.body";

/** Thrown (and caught by the handler) when stored bytes are not a valid entry. */
export class CorruptEntry extends Error {}

export function isKind(kind: unknown): kind is IncrementalCacheKind {
  return typeof kind === "string" && Object.hasOwn(PART_FIELDS, kind);
}

function partBytes(value: unknown, type: PartType): Uint8Array | undefined {
  if (value === undefined || value === null) return undefined;
  if (type === "t") return utf8(String(value));
  if (type === "j") return utf8(JSON.stringify(value));
  return toBytes(value);
}

/** Splits a value into its plain fields and its byte parts. */
function split(value: IncrementalCacheValue): { fields: Record<string, unknown>; parts: [string, PartType, Uint8Array][] } {
  const fields: Record<string, unknown> = { ...value };
  const parts: [string, PartType, Uint8Array][] = [];
  for (const [name, type] of PART_FIELDS[value.kind]) {
    const bytes = partBytes(fields[name], type);
    delete fields[name];
    if (bytes) parts.push([name, type, bytes]);
  }
  if (value.kind === "APP_PAGE" && value.segmentData) {
    for (const [segment, data] of value.segmentData) parts.push([SEGMENT_PREFIX + segment, "b", toBytes(data)!]);
    delete fields.segmentData;
  }
  if (value.kind === "FETCH" && value.data && typeof value.data.body === "string") {
    const { body, ...rest } = value.data;
    fields.data = rest;
    parts.push([FETCH_BODY, "t", utf8(body)]);
  }
  delete fields.kind;
  return { fields, parts };
}

/** Encodes an entry, compressing each part where that pays. */
export async function encodeEntry(entry: StoredEntry): Promise<EncodedEntry> {
  const { fields, parts } = entry.value ? split(entry.value) : { fields: {}, parts: [] };
  const rows: PartRow[] = [];
  const chunks: Uint8Array[] = [];
  let rawBytes = 0;
  const packed = await Promise.all(parts.map(([, , bytes]) => gzipIfSmaller(bytes)));
  parts.forEach(([name, type, bytes], i) => {
    const gz = packed[i];
    rawBytes += bytes.byteLength;
    if (gz) {
      rows.push([name, 1, gz.byteLength, bytes.byteLength, type, crc32(gz)]);
      chunks.push(gz);
    } else {
      rows.push([name, 0, bytes.byteLength, bytes.byteLength, type, crc32(bytes)]);
      chunks.push(bytes);
    }
  });
  const header: Header = { k: entry.key, kind: entry.value?.kind ?? null, tags: entry.tags, m: entry.lastModified, f: fields, p: rows };
  if (entry.cacheControl) header.cc = entry.cacheControl;
  const headerBytes = utf8(JSON.stringify(header));
  const preamble = new Uint8Array(PREAMBLE);
  preamble.set(MAGIC, 0);
  preamble[4] = FORMAT_VERSION;
  new DataView(preamble.buffer).setUint32(5, headerBytes.byteLength, true);
  rawBytes += PREAMBLE + headerBytes.byteLength;
  return { bytes: concat([preamble, headerBytes, ...chunks]), rawBytes };
}

/** Reads only the header (key, kind, tags, lifespan) and where the parts start, without touching the parts. */
export function decodeHeader(bytes: Uint8Array<ArrayBuffer>): { header: Header; offset: number } {
  if (bytes.byteLength < PREAMBLE || MAGIC.some((b, i) => bytes[i] !== b)) throw new CorruptEntry("not an edge-isr entry (bad magic)");
  if (bytes[4] !== FORMAT_VERSION) throw new CorruptEntry(`unknown format version ${bytes[4]}`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(5, true);
  if (PREAMBLE + headerLength > bytes.byteLength) throw new CorruptEntry("header runs past the end of the value");
  let header: Header;
  try {
    header = JSON.parse(fromUtf8(bytes.subarray(PREAMBLE, PREAMBLE + headerLength))) as Header;
  } catch (cause) {
    throw new CorruptEntry(`header is not valid JSON (${String(cause)})`);
  }
  if (
    typeof header !== "object" ||
    header === null ||
    typeof header.k !== "string" ||
    typeof header.m !== "number" ||
    !Array.isArray(header.tags) ||
    !Array.isArray(header.p) ||
    typeof header.f !== "object" ||
    header.f === null ||
    (header.kind !== null && !isKind(header.kind))
  ) {
    throw new CorruptEntry("header is missing fields");
  }
  let stored = 0;
  for (const row of header.p) {
    if (!Array.isArray(row) || typeof row[0] !== "string" || !(row[2] >= 0) || !(row[3] >= 0)) throw new CorruptEntry("bad part table");
    stored += row[2];
  }
  if (PREAMBLE + headerLength + stored !== bytes.byteLength) {
    throw new CorruptEntry(`value is ${bytes.byteLength} bytes, its header describes ${PREAMBLE + headerLength + stored}`);
  }
  return { header, offset: PREAMBLE + headerLength };
}

/** A part as stored: still compressed when `gzip`. */
export interface StoredPart {
  name: string;
  gzip: boolean;
  bytes: Uint8Array<ArrayBuffer>;
  rawBytes: number;
  type: PartType;
  crc: number | undefined;
}

/** Checks a part's stored bytes against their CRC-32 (a raw part must have one; an older gzip part may not). */
export function verifyPart(part: StoredPart): void {
  if (part.crc === undefined && part.gzip) return;
  if (crc32(part.bytes) !== part.crc) throw new CorruptEntry(`part ${part.name} fails its CRC-32`);
}

/** Splits a stored value into its header and its parts, as stored (nothing inflated). */
export function readParts(bytes: Uint8Array<ArrayBuffer>): { header: Header; parts: StoredPart[] } {
  const { header, offset: start } = decodeHeader(bytes);
  let offset = start;
  const parts = header.p.map(([name, gz, stored, rawBytes, type, crc]) => {
    const part: StoredPart = { name, gzip: gz === 1, bytes: bytes.subarray(offset, offset + stored), rawBytes, type, crc };
    offset += stored;
    return part;
  });
  return { header, parts };
}

async function readPart(part: StoredPart): Promise<Uint8Array> {
  if (!part.gzip) {
    verifyPart(part);
    return part.bytes;
  }
  // A gzip part is checked by its own trailer as it inflates.
  try {
    return await gunzip(part.bytes, part.rawBytes);
  } catch (cause) {
    throw new CorruptEntry(`part ${part.name} does not decompress (${String((cause as Error)?.message ?? cause)})`);
  }
}

function fromPart(bytes: Uint8Array, type: PartType): unknown {
  if (type === "t") return fromUtf8(bytes);
  if (type === "j") return JSON.parse(fromUtf8(bytes));
  return toArrayBuffer(bytes);
}

/** Decodes a whole entry; throws `CorruptEntry` on anything that does not check out. */
export async function decodeEntry(bytes: Uint8Array<ArrayBuffer>): Promise<StoredEntry> {
  const { header, parts } = readParts(bytes);
  const decoded = await Promise.all(parts.map(readPart));
  let value: IncrementalCacheValue | null = null;
  if (header.kind) {
    const out: Record<string, unknown> = { kind: header.kind, ...header.f };
    for (const [name] of PART_FIELDS[header.kind]) out[name] = undefined;
    parts.forEach((part, i) => {
      let data: unknown;
      try {
        data = fromPart(decoded[i]!, part.type);
      } catch (cause) {
        throw new CorruptEntry(`part ${part.name} does not decode (${String(cause)})`);
      }
      if (part.name.startsWith(SEGMENT_PREFIX)) {
        const map = (out.segmentData ??= new Map<string, ArrayBuffer>()) as Map<string, unknown>;
        map.set(part.name.slice(SEGMENT_PREFIX.length), data);
      } else if (part.name === FETCH_BODY) {
        out.data = { ...(out.data as object), body: data };
      } else {
        out[part.name] = data;
      }
    });
    value = out as unknown as IncrementalCacheValue;
  }
  return { key: header.k, value, tags: header.tags, lastModified: header.m, cacheControl: header.cc };
}
