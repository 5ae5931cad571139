/** Stable codes for everything the handler reports. Never renamed once published. */
export type EdgeIsrCacheErrorCode =
  | "ERR_VALUE_TOO_LARGE"
  | "ERR_KEY_INVALID"
  | "ERR_TAG_INVALID"
  | "ERR_OPTION_INVALID"
  | "ERR_VALUE_INVALID"
  | "ERR_ENTRY_CORRUPT"
  | "ERR_KV_READ"
  | "ERR_KV_WRITE"
  | "ERR_KV_TIMEOUT"
  /** The tag clock (per-tag records or the coordinator's snapshot) could not be read: entries read as stale. */
  | "ERR_CLOCK_READ"
  /** The coordinator Durable Object failed or is misconfigured: invalidations fall back to KV records. */
  | "ERR_COORDINATOR";

/**
 * The one error class of `@edge-isr/kv-cache-handler`. `code` is stable; the
 * message names the key, the offending value and the limit.
 */
export class EdgeIsrCacheError extends Error {
  override readonly name = "EdgeIsrCacheError";
  readonly code: EdgeIsrCacheErrorCode;
  /** The cache key concerned, when there is one. */
  readonly key: string | undefined;

  constructor(code: EdgeIsrCacheErrorCode, message: string, options?: { key?: string; cause?: unknown }) {
    super(`[edge-isr] ${code}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.key = options?.key;
  }
}

/** Shortens a key for messages: long keys are the ones most likely to be reported. */
export function quoteKey(key: string): string {
  return JSON.stringify(key.length > 120 ? `${key.slice(0, 100)}…(${key.length} chars)` : key);
}
