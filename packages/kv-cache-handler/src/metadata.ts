/**
 * The KV metadata stored beside each entry. It holds everything needed to
 * decide fresh / stale / expired, so a hit is one `getWithMetadata` and
 * `revalidateTag` can find tagged entries from `list()` alone.
 */
import { KVLimits } from "./limits.js";

export interface EntryMetadata {
  /** Format version. */
  v: 1;
  /** lastModified, ms since epoch. */
  m: number;
  /** revalidate, seconds; absent when the entry never goes stale by time. */
  r?: number;
  /** expire, seconds after `m`; absent when the entry never expires by time. */
  e?: number;
  /** Marked stale at (ms) by a tag invalidation sweep. */
  s?: number;
  /** Marked to expire at (ms) by a tag invalidation sweep. */
  x?: number;
  /** Tag hashes, concatenated (see tags.ts). */
  t: string;
  /** 1 when not every tag hash fit: the value's header holds the full list. */
  o?: 1;
  /** Content hash of the stored value (8 base64url characters of its SHA-256): same hash, same bytes. */
  h?: string;
  /** Stored bytes and payload bytes before compression (for inspection). */
  z: number;
  w: number;
}

export type Lifespan = "fresh" | "stale" | "expired";

/** Builds metadata that always fits KV's 1024-byte limit, trimming tag hashes if it must. */
export function buildMetadata(md: Omit<EntryMetadata, "v" | "o">): EntryMetadata {
  const out: EntryMetadata = { v: 1, ...md };
  let json = JSON.stringify(out);
  if (json.length > KVLimits.maxMetadataBytes) {
    const over = json.length - KVLimits.maxMetadataBytes + 8;
    out.t = out.t.slice(0, Math.max(0, out.t.length - over - ((out.t.length - over) % 6)));
    out.o = 1;
    json = JSON.stringify(out);
  }
  return out;
}

const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/** Validates metadata read back from KV; `undefined` for anything that is not ours. */
export function parseMetadata(raw: unknown): EntryMetadata | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const md = raw as Partial<EntryMetadata>;
  if (md.v !== 1 || !isNum(md.m) || typeof md.t !== "string") return undefined;
  for (const field of ["r", "e", "s", "x"] as const) if (md[field] !== undefined && !isNum(md[field])) return undefined;
  return md as EntryMetadata;
}

/**
 * Where an entry is in its life at `now`. `revalidate` from the caller's get
 * context (Next passes the route's current value) can only shorten freshness.
 */
export function lifespan(md: EntryMetadata, now: number, revalidate?: unknown): Lifespan {
  if (md.x !== undefined && now >= md.x) return "expired";
  if (md.e !== undefined && now >= md.m + md.e * 1000) return "expired";
  if (md.s !== undefined && md.s >= md.m) return "stale";
  if (md.r !== undefined && now >= md.m + md.r * 1000) return "stale";
  if (typeof revalidate === "number" && revalidate > 0 && now >= md.m + revalidate * 1000) return "stale";
  return "fresh";
}
