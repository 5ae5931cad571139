/**
 * The tag clock kept in KV itself, one small key per tag (`t:<tag hash>`):
 * the clock of the KV-only setup, and where invalidations go when the
 * coordinator cannot be reached or the CLI writes to KV directly.
 *
 * A record is stored twice in its key: as the value (read in bulk, 100 keys
 * for one KV operation) and as metadata (so the coordinator absorbs records
 * with `list()` alone). Writes merge with what is there: records only grow.
 *
 * `c:pending` lists the records written without the coordinator, so that it
 * picks them up (it reads that one key once a minute) without listing KV.
 */
import type { KVNamespaceLike } from "../types.js";
import type { KeyWriter } from "../writer.js";
import { type Invalidation, type TagRecord, applyInvalidation, mergeRecords, parseRecord } from "./record.js";

export const TAG_RECORD_PREFIX = "t:";
export const PENDING_KEY = "c:pending";
/** Records the pending list holds before it says "overflow" (the coordinator then lists every record). */
export const MAX_PENDING_RECORDS = 2000;
/** Keys in one bulk read (Workers KV's limit). */
export const BULK_READ_KEYS = 100;

export interface PendingList {
  v: 1;
  records: Record<string, TagRecord>;
  /** Set when records were dropped for room: the coordinator must list `t:` keys. */
  overflow?: true;
}

const encoder = new TextEncoder();

/** Reads the text values of `keys`: in bulk when the binding can, else one read per key. `null` for a missing key. */
export async function readTexts(kv: KVNamespaceLike, keys: readonly string[], cacheTtl?: number): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  if (typeof kv.get === "function") {
    const options = cacheTtl === undefined ? ({ type: "text" } as const) : ({ type: "text", cacheTtl } as const);
    const chunks: string[][] = [];
    for (let i = 0; i < keys.length; i += BULK_READ_KEYS) chunks.push(keys.slice(i, i + BULK_READ_KEYS));
    for (const map of await Promise.all(chunks.map((chunk) => kv.get!(chunk, options)))) for (const [k, v] of map) out.set(k, v);
    return out;
  }
  const decoder = new TextDecoder();
  await Promise.all(
    keys.map(async (key) => {
      const read = await kv.getWithMetadata(key, { type: "arrayBuffer", ...(cacheTtl === undefined ? {} : { cacheTtl }) });
      out.set(key, read.value ? decoder.decode(read.value) : null);
    }),
  );
  return out;
}

function parseJSON(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class KVRecords {
  constructor(
    private readonly kv: KVNamespaceLike,
    private readonly prefix: string,
    private readonly writer: KeyWriter,
    private readonly cacheTtl: number | undefined,
  ) {}

  keyOf(hash: string): string {
    return this.prefix + TAG_RECORD_PREFIX + hash;
  }

  /** The records of `hashes` (`null`: never invalidated), including this isolate's writes that have not landed. */
  async read(hashes: readonly string[]): Promise<Map<string, TagRecord | null>> {
    const texts = await readTexts(
      this.kv,
      hashes.map((h) => this.keyOf(h)),
      this.cacheTtl,
    );
    const out = new Map<string, TagRecord | null>();
    for (const hash of hashes) {
      const stored = parseRecord(parseJSON(texts.get(this.keyOf(hash))));
      const pending = this.pendingRecord(hash);
      out.set(hash, stored || pending ? mergeRecords(stored, pending) : null);
    }
    return out;
  }

  /**
   * Applies one invalidation to each tag's record (read, merge, write: one bulk
   * read per 100 tags and one write per tag). `known` are records this isolate
   * already holds, merged in so that a lagging read cannot drop an earlier
   * invalidation. Returns the new records and how many writes failed.
   */
  async invalidate(
    hashes: readonly string[],
    inv: Invalidation,
    known: (hash: string) => TagRecord | undefined,
  ): Promise<{ records: Map<string, TagRecord>; failed: number }> {
    let current = new Map<string, TagRecord | null>();
    try {
      current = await this.read(hashes);
    } catch {
      // Unreadable: write from what this isolate knows. Records only grow, so
      // at worst an older invalidation of the tag is written again later.
    }
    const records = new Map<string, TagRecord>();
    for (const hash of hashes) records.set(hash, applyInvalidation(mergeRecords(current.get(hash) ?? undefined, known(hash)), inv));
    const results = await Promise.all([...records].map(([hash, record]) => this.writer.write(this.keyOf(hash), recordOp(record))));
    return { records, failed: results.filter((ok) => !ok).length };
  }

  /** Adds records to the pending list the coordinator polls. Returns whether the write landed. */
  async addPending(records: Map<string, TagRecord>): Promise<boolean> {
    const key = this.prefix + PENDING_KEY;
    let list: PendingList = { v: 1, records: {} };
    try {
      const read = await this.kv.getWithMetadata(key, { type: "arrayBuffer" });
      list = parsePending(read.value ? new TextDecoder().decode(read.value) : null) ?? list;
    } catch {
      list.overflow = true; // unreadable: make the coordinator list every record instead
    }
    for (const [hash, record] of records) list.records[hash] = mergeRecords(list.records[hash], record);
    const hashes = Object.keys(list.records);
    if (hashes.length > MAX_PENDING_RECORDS) {
      hashes.sort((a, b) => list.records[a]!.s - list.records[b]!.s);
      for (const hash of hashes.slice(0, hashes.length - MAX_PENDING_RECORDS)) delete list.records[hash];
      list.overflow = true;
    }
    return this.writer.write(key, { type: "put", value: encoder.encode(JSON.stringify(list)), options: { metadata: null } });
  }

  private pendingRecord(hash: string): TagRecord | undefined {
    const pending = this.writer.pending(this.keyOf(hash));
    return pending?.type === "put" ? parseRecord(pending.options.metadata) : undefined;
  }
}

function recordOp(record: TagRecord) {
  return { type: "put" as const, value: encoder.encode(JSON.stringify(record)), options: { metadata: record } };
}

/** The pending list read back from KV; `undefined` when absent or not one. */
export function parsePending(text: string | null | undefined): PendingList | undefined {
  const raw = parseJSON(text) as Partial<PendingList> | undefined;
  if (raw?.v !== 1 || typeof raw.records !== "object" || raw.records === null) return undefined;
  const records: Record<string, TagRecord> = {};
  for (const [hash, value] of Object.entries(raw.records)) {
    const record = parseRecord(value);
    if (record && hash.length === 6) records[hash] = record;
  }
  return { v: 1, records, ...(raw.overflow ? { overflow: true as const } : {}) };
}
