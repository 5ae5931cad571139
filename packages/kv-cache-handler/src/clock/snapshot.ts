/**
 * The tag clock as one compact binary value (≤ 64 KiB whatever the number of
 * invalidations), which the coordinator publishes to KV and every isolate
 * reads, memoizes and checks entries against.
 *
 * It holds the most recent invalidations exactly, and folds older ones into
 * a fixed table of buckets: each tag hashes to two buckets, a bucket keeps the
 * latest time any of its tags went stale (and expired), and a tag is read as
 * the smaller of its two buckets. A bucket is never earlier than any tag in it,
 * so the table can only say "maybe invalidated" of a tag that was not — never
 * "not invalidated" of one that was. Readers confirm a "maybe" against the
 * tag's own record in KV (which the coordinator writes for every invalidated
 * tag), so a fold costs at most a read, not a needless regeneration.
 *
 *   offset 0  "EICK"        magic
 *          4  version       u8 (1)
 *          5  flags         u8: 1 = complete (no per-tag record in KV left to absorb)
 *          6  bucket bits   u8 (the table has 2^bits buckets)
 *          7  0             u8
 *          8  publishedAt   f64, ms
 *         16  absorbedAt    f64, ms: per-tag records written up to then are included
 *         24  exact count   u32
 *         28  sequence      u32: the coordinator's change count when built (0: unknown, as in older snapshots)
 *         32  buckets       2^bits × (stale u32, expired u32), whole seconds rounded up
 *          …  exact         per record, sorted by tag hash: 6-byte tag hash, u8 flags, s f64,
 *                           [w f64 unless flag 1: w = s, or flag 4: w = 0], [fx f64, fa f64 if flag 2]
 *
 * Decoding checks the whole layout and indexes the records' offsets without
 * building a string per record: a lookup is a binary search over the bytes.
 *
 * Numbers are little-endian.
 */
import type { Lifespan } from "../metadata.js";
import { type TagRecord, mergeRecords, recordState, settle, worse } from "./record.js";

export const SnapshotLimits = {
  /** Largest snapshot, in bytes. */
  maxBytes: 64 * 1024,
  /** The bucket table has 2^12 = 4,096 buckets (32 KiB). */
  bucketBits: 12,
} as const;

const MAGIC = [0x45, 0x49, 0x43, 0x4b]; // "EICK"
const VERSION = 1;
const HEADER = 32;
const HASH_BYTES = 6;
const W_EQUALS_S = 1;
const PENDING = 2;
const W_ZERO = 4;

export interface Snapshot {
  publishedAt: number;
  /** The coordinator's change count when it was built: of two snapshots, the higher includes the other (0: unknown). */
  sequence: number;
  absorbedAt: number;
  /** Every per-tag record in KV is included (nothing left from the KV-only path to absorb). */
  complete: boolean;
  bucketBits: number;
  /** Per bucket: [stale, expired] in whole seconds (rounded up), at 2i and 2i + 1. */
  buckets: Uint32Array;
  exact: ExactRecords;
}

/** The snapshot's exact records: looked up by tag hash in the bytes they came in. */
export interface ExactRecords {
  readonly size: number;
  get(hash: string): TagRecord | undefined;
  has(hash: string): boolean;
  entries(): IterableIterator<[string, TagRecord]>;
}

class RecordIndex implements ExactRecords {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly view: DataView,
    /** Offset of each record, in hash order. */
    private readonly offsets: Uint32Array,
  ) {}

  get size(): number {
    return this.offsets.length;
  }

  has(hash: string): boolean {
    return this.find(hash) !== -1;
  }

  get(hash: string): TagRecord | undefined {
    const i = this.find(hash);
    return i === -1 ? undefined : this.read(this.offsets[i]!);
  }

  *entries(): IterableIterator<[string, TagRecord]> {
    for (const at of this.offsets) {
      const b = this.bytes;
      yield [String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!, b[at + 4]!, b[at + 5]!), this.read(at)];
    }
  }

  /** Index of `hash` in hash order, or -1. */
  private find(hash: string): number {
    if (hash.length !== HASH_BYTES) return -1;
    let lo = 0;
    let hi = this.offsets.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compare(this.offsets[mid]!, hash);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private compare(at: number, hash: string): number {
    for (let i = 0; i < HASH_BYTES; i++) {
      const d = this.bytes[at + i]! - hash.charCodeAt(i);
      if (d !== 0) return d;
    }
    return 0;
  }

  private read(at: number): TagRecord {
    const view = this.view;
    let offset = at + HASH_BYTES;
    const flags = view.getUint8(offset++);
    const s = view.getFloat64(offset, true);
    offset += 8;
    let w = flags & W_EQUALS_S ? s : 0;
    if (!(flags & (W_EQUALS_S | W_ZERO))) {
      w = view.getFloat64(offset, true);
      offset += 8;
    }
    if (!(flags & PENDING)) return { s, w, fx: 0, fa: 0 };
    return { s, w, fx: view.getFloat64(offset, true), fa: view.getFloat64(offset + 8, true) };
  }
}

/** Thrown when stored bytes are not a snapshot (read as "no snapshot" by the clock). */
export class CorruptSnapshot extends Error {}

export function emptyBuckets(bits: number = SnapshotLimits.bucketBits): Uint32Array {
  return new Uint32Array(2 << bits);
}

export function emptySnapshot(): Snapshot {
  return decodeSnapshot(buildSnapshot({ records: [], buckets: emptyBuckets(), publishedAt: 0, absorbedAt: 0, complete: true }).bytes);
}

/** The table is copied as one block where the platform is little-endian (every one Workers run on). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const SIXBIT = new Map([...B64URL].map((c, i) => [c, i]));

/** The two buckets of a 6-character tag hash: 18 bits from each half. */
export function bucketsOf(hash: string, bits: number): [number, number] {
  let a = 0;
  let b = 0;
  for (let i = 0; i < 3; i++) {
    a = (a << 6) | (SIXBIT.get(hash[i]!) ?? 0);
    b = (b << 6) | (SIXBIT.get(hash[i + 3]!) ?? 0);
  }
  return [a >>> (18 - bits), b >>> (18 - bits)];
}

const ceilSeconds = (ms: number) => Math.min(0xffffffff, Math.ceil(ms / 1000));

/** Folds one tag's record into the bucket table (a pending expiry counts as due: sooner, never later). */
export function foldRecord(buckets: Uint32Array, bits: number, hash: string, record: TagRecord): void {
  const s = ceilSeconds(record.s);
  const w = ceilSeconds(Math.max(record.w, record.fx ? record.fa : 0));
  for (const i of bucketsOf(hash, bits)) {
    if (buckets[2 * i]! < s) buckets[2 * i] = s;
    if (buckets[2 * i + 1]! < w) buckets[2 * i + 1] = w;
  }
}

/** The bucket table's word on one tag hash: stale / expired at or before these times (ms; 0 = never). */
function bucketTimes(snapshot: Snapshot, hash: string): { s: number; w: number } {
  const [i, j] = bucketsOf(hash, snapshot.bucketBits);
  const b = snapshot.buckets;
  return { s: Math.min(b[2 * i]!, b[2 * j]!) * 1000, w: Math.min(b[2 * i + 1]!, b[2 * j + 1]!) * 1000 };
}

function bucketState(snapshot: Snapshot, hash: string, m: number): Lifespan {
  const { s, w } = bucketTimes(snapshot, hash);
  if (w !== 0 && m <= w) return "expired";
  return s !== 0 && m <= s ? "stale" : "fresh";
}

/**
 * The state of an entry generated at `m` carrying these tag hashes, by this
 * snapshot alone: exact records as they are, buckets taken at their word
 * (so it may say "stale" of an entry that is fresh; never the reverse).
 */
export function snapshotState(snapshot: Snapshot, hashes: readonly string[], m: number, now: number): Lifespan {
  return snapshotVerdict(snapshot, hashes, m, now, Number.POSITIVE_INFINITY).state;
}

/**
 * What the snapshot knows for certain about an entry, and which of its tags
 * only the bucket table flags ("maybe invalidated": to confirm against the
 * tag's record). A bucket whose time is within `certainWithinMs` of `now` is
 * taken at its word: the tag's record may not have reached every location yet.
 */
export function snapshotVerdict(
  snapshot: Snapshot,
  hashes: readonly string[],
  m: number,
  now: number,
  certainWithinMs: number,
): { state: Lifespan; unsure: string[] } {
  let state: Lifespan = "fresh";
  const unsure: string[] = [];
  for (const hash of hashes) {
    const record = snapshot.exact.get(hash);
    const exact = record ? recordState(record, m, now) : "fresh";
    state = worse(state, exact);
    const folded = bucketState(snapshot, hash, m);
    if (folded === "fresh" || worse(exact, folded) === exact) continue;
    const { s, w } = bucketTimes(snapshot, hash);
    if (now - Math.max(s, w) <= certainWithinMs) state = worse(state, folded);
    else unsure.push(hash);
  }
  return { state, unsure };
}

function recordBytes(record: TagRecord): number {
  let n = HASH_BYTES + 1 + 8;
  if (record.w !== record.s && record.w !== 0) n += 8;
  if (record.fx) n += 16;
  return n;
}

export interface SnapshotInput {
  /** Every exact record the coordinator holds (any order). */
  records: Iterable<[hash: string, record: TagRecord]>;
  /** Its bucket table of older, folded records (left unchanged). */
  buckets: Uint32Array;
  bucketBits?: number;
  publishedAt: number;
  /** The coordinator's change count (see `Snapshot.sequence`). Default 0. */
  sequence?: number;
  absorbedAt: number;
  complete: boolean;
  maxBytes?: number;
}

/**
 * Encodes a snapshot: the most recent records exactly, as many as fit, and
 * the rest folded into a copy of the bucket table. Also returns how many were folded.
 */
export function buildSnapshot(input: SnapshotInput): { bytes: Uint8Array<ArrayBuffer>; exact: number; folded: number } {
  const bits = input.bucketBits ?? SnapshotLimits.bucketBits;
  const maxBytes = input.maxBytes ?? SnapshotLimits.maxBytes;
  const buckets = input.buckets.slice();
  const merged = new Map<string, TagRecord>();
  for (const [hash, r] of input.records) merged.set(hash, mergeRecords(merged.get(hash), r)); // one record per hash
  const records = [...merged].map(([hash, r]) => [hash, settle(r, input.publishedAt)] as [string, TagRecord]);
  const recency = (r: TagRecord) => Math.max(r.s, r.w, r.fa);
  records.sort((a, b) => recency(b[1]) - recency(a[1]));
  let size = HEADER + buckets.byteLength;
  let kept = 0;
  for (const [, record] of records) {
    const n = recordBytes(record);
    if (size + n > maxBytes) break;
    size += n;
    kept++;
  }
  for (const [hash, record] of records.slice(kept)) foldRecord(buckets, bits, hash, record);

  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint8(4, VERSION);
  view.setUint8(5, input.complete ? 1 : 0);
  view.setUint8(6, bits);
  view.setFloat64(8, input.publishedAt, true);
  view.setFloat64(16, input.absorbedAt, true);
  view.setUint32(24, kept, true);
  view.setUint32(28, (input.sequence ?? 0) >>> 0, true);
  if (LITTLE_ENDIAN) bytes.set(new Uint8Array(buckets.buffer, buckets.byteOffset, buckets.byteLength), HEADER);
  else for (let i = 0; i < buckets.length; i++) view.setUint32(HEADER + i * 4, buckets[i]!, true);
  let offset = HEADER + buckets.byteLength;
  const byHash = records.slice(0, kept).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [hash, record] of byHash) {
    for (let i = 0; i < HASH_BYTES; i++) bytes[offset + i] = hash.charCodeAt(i);
    offset += HASH_BYTES;
    const flags = (record.w === record.s ? W_EQUALS_S : record.w === 0 ? W_ZERO : 0) | (record.fx ? PENDING : 0);
    view.setUint8(offset++, flags);
    view.setFloat64(offset, record.s, true);
    offset += 8;
    if (!(flags & (W_EQUALS_S | W_ZERO))) {
      view.setFloat64(offset, record.w, true);
      offset += 8;
    }
    if (flags & PENDING) {
      view.setFloat64(offset, record.fx, true);
      view.setFloat64(offset + 8, record.fa, true);
      offset += 16;
    }
  }
  return { bytes, exact: kept, folded: records.length - kept };
}

function compareBytes(bytes: Uint8Array, a: number, b: number): number {
  for (let i = 0; i < HASH_BYTES; i++) {
    const d = bytes[a + i]! - bytes[b + i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Orders two snapshots of one coordinator: by sequence when both carry one
 * (snapshots built in the same millisecond still differ), else by publish time.
 * Positive when `a` is the newer.
 */
export function compareSnapshots(a: Pick<Snapshot, "sequence" | "publishedAt">, b: Pick<Snapshot, "sequence" | "publishedAt">): number {
  if (a.sequence > 0 && b.sequence > 0 && a.sequence !== b.sequence) return a.sequence - b.sequence;
  return a.publishedAt - b.publishedAt;
}

/** Decodes a snapshot; throws {@link CorruptSnapshot} for anything that is not a whole one. */
export function decodeSnapshot(input: ArrayBuffer | Uint8Array): Snapshot {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.byteLength < HEADER || MAGIC.some((b, i) => bytes[i] !== b)) throw new CorruptSnapshot("not a tag-clock snapshot (bad magic)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(4) !== VERSION) throw new CorruptSnapshot(`unknown snapshot version ${view.getUint8(4)}`);
  const bits = view.getUint8(6);
  if (bits < 1 || bits > 18) throw new CorruptSnapshot(`bucket bits ${bits} out of range`);
  const bucketWords = 2 << bits;
  const count = view.getUint32(24, true);
  let offset = HEADER + bucketWords * 4;
  if (offset > bytes.byteLength) throw new CorruptSnapshot("bucket table runs past the end");
  let buckets: Uint32Array;
  if (LITTLE_ENDIAN) {
    buckets = new Uint32Array(bytes.slice(HEADER, HEADER + bucketWords * 4).buffer);
  } else {
    buckets = new Uint32Array(bucketWords);
    for (let i = 0; i < bucketWords; i++) buckets[i] = view.getUint32(HEADER + i * 4, true);
  }
  const offsets = new Uint32Array(count);
  const need = (n: number) => {
    if (offset + n > bytes.byteLength) throw new CorruptSnapshot("record runs past the end");
  };
  for (let i = 0; i < count; i++) {
    need(HASH_BYTES + 9);
    if (i > 0 && compareBytes(bytes, offsets[i - 1]!, offset) >= 0) throw new CorruptSnapshot("records are not in hash order");
    offsets[i] = offset;
    const flags = bytes[offset + HASH_BYTES]!;
    offset += HASH_BYTES + 9;
    if (!(flags & (W_EQUALS_S | W_ZERO))) {
      need(8);
      offset += 8;
    }
    if (flags & PENDING) {
      need(16);
      offset += 16;
    }
  }
  const exact = new RecordIndex(bytes, view, offsets);
  if (offset !== bytes.byteLength) throw new CorruptSnapshot(`snapshot is ${bytes.byteLength} bytes, its records describe ${offset}`);
  return {
    publishedAt: view.getFloat64(8, true),
    sequence: view.getUint32(28, true),
    absorbedAt: view.getFloat64(16, true),
    complete: (view.getUint8(5) & 1) === 1,
    bucketBits: bits,
    buckets,
    exact,
  };
}
