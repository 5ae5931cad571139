/**
 * Decoded entries this isolate has read, reused when a later read of the same
 * key returns the same bytes (same content hash in the metadata). Every get
 * still reads the entry (KV, or an L1 copy) — the memo only skips inflating and
 * parsing, so it can never serve an outdated entry. Bounded by payload bytes,
 * least recently used first.
 */
import type { StoredEntry } from "./codec.js";
import type { IncrementalCacheValue } from "./types.js";
import { SizedLRU } from "./lru.js";

interface Memo {
  hash: string;
  entry: StoredEntry;
}

export class DecodedMemo {
  private readonly entries: SizedLRU<Memo>;

  constructor(maxBytes: number) {
    this.entries = new SizedLRU(maxBytes);
  }

  get(kvKey: string, hash: string | undefined): StoredEntry | undefined {
    if (hash === undefined) return undefined;
    const memo = this.entries.get(kvKey);
    if (!memo || memo.hash !== hash) return undefined;
    return { ...memo.entry, value: cloneValue(memo.entry.value) };
  }

  set(kvKey: string, hash: string | undefined, entry: StoredEntry, size: number): void {
    if (hash === undefined) {
      this.entries.delete(kvKey);
      return;
    }
    this.entries.set(kvKey, { hash, entry: { ...entry, value: cloneValue(entry.value) } }, size);
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
