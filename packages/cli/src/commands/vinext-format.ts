/**
 * vinext's KV layout, as @vinext/cloudflare's KV data cache writes it, read so
 * its entries can become edge-isr entries. No I/O here: parsing and deciding.
 *
 *   <appPrefix>:cache:<cache key>   JSON { value, tags, lastModified, revalidateAt, expireAt, cacheControl? },
 *                                   binary fields (rscData, body, buffer) as base64
 *   <appPrefix>:__tag:<tag>         the time (ms) the tag was last revalidated
 *
 * An entry vinext would no longer serve — one of its tags revalidated at or after
 * it was written, or past its expireAt — is not carried over.
 */
import type { IncrementalCacheValue, SetContext } from "@edge-isr/kv-cache-handler";

export const VINEXT_ENTRY_PREFIX = "cache:";
export const VINEXT_TAG_PREFIX = "__tag:";
/** vinext (≥ 1.0 beta) stores keys too long for KV under a hash: the cache key cannot be recovered. */
const VINEXT_HASHED_PREFIX = "__hash:";
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** vinext's key prefix for an `appPrefix` (its handler: `${appPrefix}:`). */
export const vinextPrefix = (appPrefix: string | undefined): string => (appPrefix ? `${appPrefix}:` : "");

export interface VinextEntry {
  value: IncrementalCacheValue | null;
  tags: string[];
  lastModified: number;
  expireAt: number | null;
  cacheControl?: { revalidate: number; expire?: number; stale?: number };
}

export type SkipReason = "invalidated" | "expired" | "unreadable" | "hashed key" | "another build" | "newer in edge-isr";

export type Decision =
  | { migrate: true; key: string; value: IncrementalCacheValue | null; ctx: SetContext; lastModified: number }
  | { migrate: false; reason: SkipReason; detail: string };

/**
 * The build a page entry belongs to: vinext keys ISR pages and route handlers by build id
 * (`app:v2:<build>:/path:html`, `pages:v2:<build>:/path`), data entries by content only.
 */
export function pageBuild(key: string): string | undefined {
  const match = /^(?:app|pages|app-fallback-shell):v\d+:(.*?):\//.exec(key);
  return match?.[1];
}

/** Parses one stored vinext entry; throws with the reason when it is not one. */
export function parseVinextEntry(text: string): VinextEntry {
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (!raw || typeof raw !== "object" || typeof raw.lastModified !== "number" || !Array.isArray(raw.tags))
    throw new Error("not a vinext cache entry");
  if (raw.expireAt !== undefined && raw.expireAt !== null && typeof raw.expireAt !== "number") throw new Error("expireAt is not a number");
  const cc = raw.cacheControl as VinextEntry["cacheControl"] | undefined;
  if (cc !== undefined && (typeof cc !== "object" || cc === null || typeof cc.revalidate !== "number"))
    throw new Error("cacheControl is not vinext's");
  const value = raw.value === null ? null : restoreBinary(raw.value as Record<string, unknown>);
  return {
    value,
    tags: raw.tags.filter((t): t is string => typeof t === "string"),
    lastModified: raw.lastModified,
    expireAt: (raw.expireAt as number | null | undefined) ?? null,
    ...(cc ? { cacheControl: cc } : {}),
  };
}

/** vinext's JSON turns binary fields into base64 (and a segmentData Map into {}): back to bytes. */
function restoreBinary(value: Record<string, unknown>): IncrementalCacheValue {
  if (!value || typeof value !== "object" || typeof value.kind !== "string") throw new Error("its value has no kind");
  const field = ({ APP_PAGE: "rscData", APP_ROUTE: "body", IMAGE: "buffer" } as Record<string, string>)[value.kind];
  const out: Record<string, unknown> = { ...value };
  if (field && typeof value[field] === "string") out[field] = fromBase64(value[field] as string, field);
  if (value.kind === "APP_PAGE" && !(value.segmentData instanceof Map)) delete out.segmentData; // lost by vinext's JSON
  return out as IncrementalCacheValue;
}

function fromBase64(text: string, field: string): ArrayBuffer {
  if (text.length % 4 !== 0 || !BASE64.test(text)) throw new Error(`${field} is not base64`);
  const bytes = Buffer.from(text, "base64");
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export interface DecideOptions {
  /** vinext's tags and when each was last revalidated (ms). */
  tagTimes: ReadonlyMap<string, number>;
  now: number;
  /** Page entries are carried over only for these builds (vinext keys pages by build id). */
  builds: ReadonlySet<string>;
}

/** Whether the vinext entry under `kvKey` (prefix included) becomes an edge-isr entry, and how. */
export function decide(kvKey: string, prefix: string, text: string | null, options: DecideOptions): Decision {
  const key = kvKey.slice(prefix.length + VINEXT_ENTRY_PREFIX.length);
  if (key.startsWith(VINEXT_HASHED_PREFIX))
    return {
      migrate: false,
      reason: "hashed key",
      detail: "vinext stored it under a hash of its key, which cannot be turned back into the key",
    };
  const build = pageBuild(key);
  if (build !== undefined && !options.builds.has(build))
    return { migrate: false, reason: "another build", detail: `a page of build ${build}` };
  let entry: VinextEntry;
  try {
    if (text === null) throw new Error("it is gone");
    entry = parseVinextEntry(text);
  } catch (error) {
    return { migrate: false, reason: "unreadable", detail: (error as Error).message };
  }
  if (entry.expireAt !== null && options.now > entry.expireAt)
    return { migrate: false, reason: "expired", detail: `expired at ${new Date(entry.expireAt).toISOString()}` };
  for (const tag of entry.tags) {
    const at = options.tagTimes.get(tag);
    if (at !== undefined && (Number.isNaN(at) || at >= entry.lastModified))
      return {
        migrate: false,
        reason: "invalidated",
        detail: `tag ${JSON.stringify(tag.slice(0, 80))} was revalidated after it was written`,
      };
  }
  const ctx: SetContext = {
    tags: entry.tags,
    timestamp: entry.lastModified,
    ...(entry.cacheControl ? { cacheControl: entry.cacheControl } : {}),
  };
  return { migrate: true, key, value: entry.value, ctx, lastModified: entry.lastModified };
}
