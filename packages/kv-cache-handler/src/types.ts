/**
 * The Next.js incremental cache-handler contract, as Next 16.x and vinext call
 * it, declared here so the package has no dependency on either.
 */

/** `revalidate`/`expire` in seconds, as Next.js resolves them for an entry. */
export interface CacheControl {
  revalidate: number | false;
  expire?: number;
  /** Client-router reuse bound (vinext, Next's `cacheLife.stale`). Stored and returned as is. */
  stale?: number;
}

export interface CachedAppPageValue {
  kind: "APP_PAGE";
  html: string;
  rscData: ArrayBuffer | undefined;
  headers: Record<string, string | string[]> | undefined;
  postponed: string | undefined;
  status: number | undefined;
  segmentData?: Map<string, ArrayBuffer> | undefined;
  [extra: string]: unknown;
}
export interface CachedPagesValue {
  kind: "PAGES";
  html: string;
  pageData: object;
  headers: Record<string, string | string[]> | undefined;
  status: number | undefined;
  [extra: string]: unknown;
}
export interface CachedRouteValue {
  kind: "APP_ROUTE";
  body: ArrayBuffer;
  status: number;
  headers: Record<string, string | string[]>;
  [extra: string]: unknown;
}
export interface CachedFetchValue {
  kind: "FETCH";
  data: { headers: Record<string, string>; body: string; url: string; status?: number };
  tags?: string[];
  revalidate: number | false;
  [extra: string]: unknown;
}
export interface CachedRedirectValue {
  kind: "REDIRECT";
  props: object;
  [extra: string]: unknown;
}
export interface CachedImageValue {
  kind: "IMAGE";
  etag: string;
  buffer: ArrayBuffer;
  extension: string;
  revalidate?: number;
  [extra: string]: unknown;
}

export type IncrementalCacheValue =
  | CachedAppPageValue
  | CachedPagesValue
  | CachedRouteValue
  | CachedFetchValue
  | CachedRedirectValue
  | CachedImageValue;

export type IncrementalCacheKind = IncrementalCacheValue["kind"];

/** What `get` returns on a hit. */
export interface CacheHandlerValue {
  lastModified: number;
  value: IncrementalCacheValue | null;
  cacheControl?: CacheControl;
  /** `"stale"` when the entry should be served while it regenerates; absent when fresh. */
  cacheState?: "stale";
  /** Seconds since the entry was written. */
  age?: number;
  /** Every tag the entry carries (explicit and implicit). */
  tags?: string[];
}

/** The second argument of `get`, as Next.js and vinext pass it. Extra fields are ignored. */
export interface GetContext {
  kind?: string;
  revalidate?: number | false;
  tags?: string[];
  softTags?: string[];
  [extra: string]: unknown;
}

/** The third argument of `set`, as Next.js and vinext pass it. Extra fields are ignored. */
export interface SetContext {
  cacheControl?: Partial<CacheControl>;
  revalidate?: number | false;
  tags?: string[];
  /** When the value's generation started (ms); the entry's `lastModified`. Default: now. */
  timestamp?: number;
  [extra: string]: unknown;
}

/** The contract every handler implements; `@edge-isr/runtime` talks to this alone. */
export interface CacheHandler {
  get(key: string, ctx?: GetContext): Promise<CacheHandlerValue | null>;
  set(key: string, data: IncrementalCacheValue | null, ctx?: SetContext): Promise<void>;
  revalidateTag(tags: string | string[], durations?: { expire?: number }): Promise<void>;
  resetRequestCache?(): void;
}

/**
 * The part of a Workers KV binding the handler uses. Declared here (as hono
 * declares `ExecutionContext`) so Worker types are not a dependency.
 */
export interface KVNamespaceLike {
  getWithMetadata<M = unknown>(
    key: string,
    options: { type: "arrayBuffer"; cacheTtl?: number },
  ): Promise<{ value: ArrayBuffer | null; metadata: M | null }>;
  /**
   * Bulk read (Workers KV since April 2025): up to 100 keys for one operation.
   * Optional: without it the handler reads the keys one by one.
   */
  get?(keys: string[], options: { type: "text"; cacheTtl?: number }): Promise<Map<string, string | null>>;
  put(
    key: string,
    value: ArrayBuffer | ArrayBufferView | string,
    options?: { expiration?: number; expirationTtl?: number; metadata?: unknown },
  ): Promise<void>;
  delete(key: string): Promise<void>;
  list<M = unknown>(options?: {
    prefix?: string;
    cursor?: string | null;
    limit?: number;
  }): Promise<{
    keys: { name: string; expiration?: number; metadata?: M }[];
    list_complete: boolean;
    cursor?: string;
  }>;
}

/** `ctx.waitUntil`, the only part of an ExecutionContext the handler needs. */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}
