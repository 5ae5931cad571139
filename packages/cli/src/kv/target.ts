/**
 * Where the CLI reads and writes entries: the local Miniflare state that
 * `vite dev`/`vite preview` read, or a namespace through Cloudflare's REST API.
 * Both move raw bytes plus metadata and expiration, so an entry lands exactly
 * as KVCacheHandler wrote it.
 */
export interface KVEntry {
  key: string;
  value: Uint8Array;
  metadata?: unknown;
  /** Absolute expiry, seconds since the epoch. */
  expiration?: number;
}

export interface KVListed {
  name: string;
  metadata?: unknown;
  expiration?: number;
}

export interface KVTarget {
  /** Where this target writes, for messages ("local .wrangler/state", "remote namespace 0f2a…"). */
  readonly description: string;
  get(key: string): Promise<{ value: Uint8Array; metadata: unknown } | null>;
  put(entry: KVEntry): Promise<void>;
  /**
   * Writes many entries, in as few requests as the target allows. Once `signal`
   * aborts, no further write starts; the ones under way finish, then it returns.
   */
  putMany(entries: KVEntry[], onProgress?: (done: number) => void, signal?: AbortSignal): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string): AsyncIterable<KVListed>;
  close(): Promise<void>;
}

/** Every listed key under `prefix`, in one array. */
export async function listAll(target: KVTarget, prefix: string): Promise<KVListed[]> {
  const out: KVListed[] = [];
  for await (const key of target.list(prefix)) out.push(key);
  return out;
}
