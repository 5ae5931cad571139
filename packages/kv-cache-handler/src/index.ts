/**
 * @edge-isr/kv-cache-handler — the Next.js incremental cache-handler contract
 * on Workers KV: one KV read per hit, compressed binary entries, tag
 * invalidation paid at invalidation time. Zero dependencies, Worker-safe.
 */
export { KVCacheHandler, type KVCacheHandlerOptions, type EncodedValue } from "./handler.js";
export { EdgeIsrCacheError, quoteKey, type EdgeIsrCacheErrorCode } from "./errors.js";
export { KVLimits, HandlerLimits } from "./limits.js";
export { IMPLICIT_TAG_PREFIX, implicitTag, implicitTags } from "./tags.js";
export { decodeEntry, encodeEntry, decodeHeader, readParts, FORMAT_VERSION, type StoredEntry, type StoredPart } from "./codec.js";
export { parseMetadata, lifespan, type EntryMetadata, type Lifespan } from "./metadata.js";
export { kvKeyFor, ENTRY_PREFIX, HASHED_PREFIX } from "./keys.js";
export type { SweepResult } from "./sweep.js";
export type * from "./types.js";
