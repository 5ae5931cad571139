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
  | "ERR_COORDINATOR"
  /** A Workers Cache purge failed or was refused (rate-limited): pages cached there live out their max-age. */
  | "ERR_CDN_PURGE";

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

/** Most characters of client input (a key, a path, a tag) a message repeats. */
const QUOTED_CHARS = 64;

/**
 * How every edge-isr message quotes client input — keys, paths, tags: at most
 * 64 characters, as a JSON string with everything outside printable ASCII
 * escaped (no newline, control or bidi character reaches a log), followed by
 * the full length when it was cut.
 * @example quoteKey("/é\n") === String.raw`"/\u00e9\n"`
 */
export function quoteKey(text: string): string {
  const cut = text.length > QUOTED_CHARS;
  const quoted = JSON.stringify(cut ? text.slice(0, QUOTED_CHARS) : text).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return cut ? `${quoted}...(${text.length} chars)` : quoted;
}
