/**
 * Workers KV's documented limits and the handler's own bounds, in one place so
 * every check and every error message quotes the same number.
 * @see https://developers.cloudflare.com/kv/platform/limits/
 */
export const KVLimits = {
  /** Longest key KV accepts, in UTF-8 bytes. */
  maxKeyBytes: 512,
  /** Largest value KV accepts, in bytes (25 MiB). */
  maxValueBytes: 25 * 1024 * 1024,
  /** Largest metadata object KV accepts, serialized as JSON, in bytes. */
  maxMetadataBytes: 1024,
  /** Shortest `expirationTtl` KV accepts, in seconds. */
  minExpirationTtl: 60,
  /** Longest `expirationTtl` a KV binding accepts (a signed 32-bit number of seconds). */
  maxExpirationTtl: 2_147_483_647,
  /** KV accepts about one write per second to the same key; faster writes answer 429. */
  minWriteIntervalMs: 1000,
  /** Shortest `cacheTtl` KV accepts on a read, in seconds. */
  minCacheTtl: 30,
  /** Most keys one bulk `get()` reads (one operation). */
  maxBulkReadKeys: 100,
  /** Operations (reads, writes, deletes, lists; a bulk read is one) one Worker invocation may make. */
  maxOperationsPerInvocation: 1000,
  /** Most keys one `list()` call returns. */
  maxListKeys: 1000,
} as const;

/** Bounds the handler applies on top of KV's limits (they match Next.js's). */
export const HandlerLimits = {
  /** Longest tag kept, in characters (Next.js: NEXT_CACHE_TAG_MAX_LENGTH). */
  maxTagLength: 256,
  /**
   * Longest implicit path tag (`_N_T_…`) accepted, in characters: longer than
   * `maxTagLength`, it is kept under its SHA-256 (see `implicitTag`). Covers any
   * cacheable path (2,048 characters) with room for `/layout`.
   */
  maxImplicitTagLength: 4096,
  /** Most tags kept per entry (Next.js: NEXT_CACHE_TAG_MAX_ITEMS). */
  maxTagsPerEntry: 128,
  /** Characters of a tag's SHA-256 (base64url) stored in metadata; 128 tags × 6 fit in 1024 bytes. */
  tagHashChars: 6,
  /** Longest key prefix, in UTF-8 bytes, so a hashed key (prefix + 66 bytes) always fits. */
  maxPrefixBytes: 256,
} as const;

/**
 * Cloudflare's limits on `Cache-Tag` (Workers Cache and the zone cache) and on purging by tag.
 * @see https://developers.cloudflare.com/cache/how-to/purge-cache/purge-by-tags/
 * @see https://developers.cloudflare.com/workers/cache/purge/
 */
export const CdnLimits = {
  /** Longest tag, in characters (printable ASCII, no spaces; matched case-insensitively). */
  maxTagChars: 1024,
  /** Most tags one response may carry. */
  maxTags: 1000,
  /** Longest `Cache-Tag` value, in bytes, commas included. */
  maxHeaderBytes: 16 * 1024,
  /**
   * Tags sent in one `purge()` call: 100 operations per purge request on every plan. Workers Cache
   * purges on the Free tier's rate (5 requests a minute, bursts of 25), whatever the plan.
   */
  tagsPerPurge: 100,
} as const;
