/**
 * @edge-isr/kv-cache-handler — the Next.js incremental cache-handler contract
 * on Workers KV: one KV read per hit, compressed binary entries, tag
 * invalidation through a tag clock (O(tags), never a sweep over entries),
 * optionally serialized by the `EdgeIsrCoordinator` Durable Object, which
 * also grants one isolate the render of a stale page. With a coordinator, an
 * L1 in the colo's Cache API takes most hits off KV.
 * Zero dependencies, Worker-safe.
 */
export { KVCacheHandler, type KVCacheHandlerOptions, type EncodedValue, type InvalidationResult, invalidationOf } from "./handler.js";
export { EdgeIsrCoordinator, SNAPSHOT_KEY, type CoordinatorState } from "./coordinator/durable-object.js";
export { CoordinatorLimits, type DurableObjectNamespaceLike } from "./coordinator/protocol.js";
export { decodeSnapshot, snapshotState, SnapshotLimits, type Snapshot } from "./clock/snapshot.js";
export { type TagRecord, recordState } from "./clock/record.js";
export { TAG_RECORD_PREFIX, PENDING_KEY } from "./clock/kv-records.js";
export { invalidateInKV, type DirectInvalidation } from "./clock/direct.js";
export { readClock, type ClockView } from "./clock/reader.js";
export { listClock, type ListedClock } from "./clock/listed.js";
export { EdgeIsrCacheError, quoteKey, type EdgeIsrCacheErrorCode } from "./errors.js";
export { pendingWork } from "./background.js";
export { KVLimits, HandlerLimits, CdnLimits } from "./limits.js";
export { cacheTagHeader, purgeTagsFor, hashedCdnTag, canPurge, purgeCdn, type WorkersCacheLike, type PurgeResult } from "./cdn.js";
export { IMPLICIT_TAG_PREFIX, implicitTag, implicitTags, tagHash, splitHashes } from "./tags.js";
export { decodeEntry, encodeEntry, decodeHeader, readParts, FORMAT_VERSION, type StoredEntry, type StoredPart } from "./codec.js";
export { parseMetadata, lifespan, type EntryMetadata, type Lifespan } from "./metadata.js";
export { kvKeyFor, ENTRY_PREFIX, HASHED_PREFIX } from "./keys.js";
export type * from "./types.js";
