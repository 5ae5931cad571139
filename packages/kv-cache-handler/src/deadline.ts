/**
 * Every KV call the handler makes, bounded in time. A KV that hangs (as peers'
 * stores did in outages) must not hang a page or wedge a key's write queue:
 * past its deadline a call fails with ERR_KV_TIMEOUT and is handled like any
 * other KV failure — a read is a miss, a write is reported and the key's queue
 * moves on. A write that timed out may still land later; the entry is then
 * whichever write KV took last, as with any concurrent writers.
 */
import { EdgeIsrCacheError, quoteKey } from "./errors.js";
import type { KVNamespaceLike } from "./types.js";

export interface Deadlines {
  /** `getWithMetadata` and `list`, in ms. */
  readMs: number;
  /** `put` and `delete`, in ms. */
  writeMs: number;
}

function within<T>(work: Promise<T>, ms: number, what: () => string, key: string | undefined): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EdgeIsrCacheError("ERR_KV_TIMEOUT", `${what()} took longer than ${ms} ms`, { key })), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** `kv` with a deadline on each call. */
export function withDeadlines(kv: KVNamespaceLike, deadlines: Deadlines): KVNamespaceLike {
  return {
    getWithMetadata: (key, options) => within(kv.getWithMetadata(key, options), deadlines.readMs, () => `KV read of ${quoteKey(key)}`, key),
    put: (key, value, options) => within(kv.put(key, value, options), deadlines.writeMs, () => `KV put of ${quoteKey(key)}`, key),
    delete: (key) => within(kv.delete(key), deadlines.writeMs, () => `KV delete of ${quoteKey(key)}`, key),
    list: (options) => within(kv.list(options), deadlines.readMs, () => `KV list of ${quoteKey(options?.prefix ?? "")}`, undefined),
    ...(typeof kv.get === "function"
      ? {
          get: (keys: string[], options: { type: "text"; cacheTtl?: number }) =>
            within(kv.get!(keys, options), deadlines.readMs, () => `KV bulk read of ${keys.length} key(s)`, undefined),
        }
      : {}),
  } as KVNamespaceLike;
}
