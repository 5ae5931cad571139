/**
 * The runtime's bounds, in one place so every check and every message quotes
 * the same number. KV's own limits live in `@edge-isr/kv-cache-handler`'s `KVLimits`.
 */
export const RuntimeLimits = {
  /** Longest path accepted for caching, in characters; longer requests bypass the cache. */
  maxPathLength: 2048,
  /** Largest body the revalidation endpoint reads, in bytes. */
  maxEndpointBodyBytes: 64 * 1024,
  /** Most tags and paths in one revalidation request. */
  maxEndpointItems: 256,
  /** Most pages a `dynamicParams: false` route's `staticParams` may list: the allowed set is kept in each isolate. */
  maxStaticParams: 10_000,
} as const;
