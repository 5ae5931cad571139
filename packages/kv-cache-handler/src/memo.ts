/**
 * What this isolate worked out from entries it read, by key and content hash
 * (the metadata's `h`: same hash, same bytes) — the stored bytes once seen,
 * their parsed parts and which passed their CRC-32, and the decoded value.
 * Every get still reads the entry (KV, or an L1 copy) and decides it from that
 * read's metadata; a read naming the hash known here is answered with the bytes
 * already checked, so the header is not parsed, the parts not checked and the
 * value not inflated again. It can never serve an outdated entry: another hash
 * replaces what is known. Bounded by bytes, least recently used first.
 */
import type { Header, StoredEntry, StoredPart } from "./codec.js";
import type { EntryMetadata } from "./metadata.js";
import type { IncrementalCacheValue } from "./types.js";
import { SizedLRU } from "./lru.js";

/**
 * What the handler worked out from one entry's bytes (its parts, which of them
 * passed their CRC-32), kept beside them: the same bytes are not parsed or
 * checked again.
 */
export interface Derived {
  parts?: { header: Header; parts: StoredPart[] };
  verified?: Set<string>;
}

/** Bytes of an entry, and what was worked out from them. */
export interface Known {
  bytes: Uint8Array<ArrayBuffer>;
  derived: Derived;
}

interface Memo {
  hash: string;
  /** The stored bytes, when this isolate read them (a decoded value may be known without). */
  known?: Known;
  entry?: StoredEntry;
}

export class ReadMemo {
  private readonly entries: SizedLRU<Memo>;

  constructor(maxBytes: number) {
    this.entries = new SizedLRU(maxBytes);
  }

  /**
   * The bytes to serve for a read of `kvKey` that answered `bytes` with `md`:
   * the ones known for the same hash (checked before), else `bytes`, now known.
   */
  adopt(kvKey: string, bytes: Uint8Array<ArrayBuffer>, md: EntryMetadata): Known {
    const memo = md.h === undefined ? undefined : this.entries.get(kvKey);
    // A length that changed means a caller handed the buffer off (detached it): not served again.
    if (memo && memo.hash === md.h && memo.known && memo.known.bytes.byteLength === md.z) return memo.known;
    const known: Known = { bytes, derived: {} };
    if (md.h === undefined || bytes.byteLength !== md.z) {
      this.entries.delete(kvKey);
      return known;
    }
    const entry = memo?.hash === md.h ? memo.entry : undefined;
    const size = bytes.byteLength + (entry ? (md.w ?? bytes.byteLength) : 0); // as keepDecoded sizes a value
    this.entries.set(kvKey, { hash: md.h, known, entry }, size);
    return known;
  }

  /** Forgets `kvKey` (its bytes did not check out). */
  forget(kvKey: string): void {
    this.entries.delete(kvKey);
  }

  /** The decoded value of `kvKey` at `hash`, as a copy the caller may change. */
  decoded(kvKey: string, hash: string | undefined): StoredEntry | undefined {
    if (hash === undefined) return undefined;
    const memo = this.entries.get(kvKey);
    if (memo?.hash !== hash || !memo.entry) return undefined;
    return { ...memo.entry, value: cloneValue(memo.entry.value) };
  }

  /** Keeps the decoded value of `kvKey` at `hash` (`size`: its payload bytes). */
  keepDecoded(kvKey: string, hash: string | undefined, entry: StoredEntry, size: number): void {
    if (hash === undefined) {
      this.entries.delete(kvKey);
      return;
    }
    const memo = this.entries.get(kvKey);
    const known = memo?.hash === hash ? memo.known : undefined;
    const total = size + (known?.bytes.byteLength ?? 0);
    this.entries.set(kvKey, { hash, known, entry: { ...entry, value: cloneValue(entry.value) } }, total);
  }
}

/** A copy callers may keep or change without touching the memo: binary fields and headers are copied. */
function cloneValue(value: IncrementalCacheValue | null): IncrementalCacheValue | null {
  if (!value) return value;
  const out: Record<string, unknown> = { ...value };
  for (const field of ["rscData", "body", "buffer"]) {
    const data = out[field];
    if (data instanceof ArrayBuffer) out[field] = data.slice(0);
  }
  if (out.headers && typeof out.headers === "object") out.headers = { ...(out.headers as object) };
  if (out.segmentData instanceof Map) {
    out.segmentData = new Map([...(out.segmentData as Map<string, ArrayBuffer>)].map(([k, v]) => [k, v.slice(0)]));
  }
  return out as unknown as IncrementalCacheValue;
}
