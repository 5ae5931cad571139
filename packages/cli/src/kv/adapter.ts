/**
 * A KVNamespace-shaped view of a KVTarget, so the CLI reuses KVCacheHandler
 * itself (its tag sweep for `purge`, its reads for `inspect`) on any target.
 */
import type { KVNamespaceLike } from "@edge-isr/kv-cache-handler";
import type { KVEntry, KVTarget } from "./target.js";

type PutArgs = Parameters<KVNamespaceLike["put"]>;

/**
 * A `put` as the entry it writes: the value as bytes (a view is copied, so the
 * caller may reuse its buffer) and an `expirationTtl` made absolute from `nowMs`.
 */
export function entryOf(key: string, value: PutArgs[1], options: PutArgs[2], nowMs: number): KVEntry {
  const bytes =
    typeof value === "string"
      ? new TextEncoder().encode(value)
      : value instanceof ArrayBuffer
        ? new Uint8Array(value)
        : new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
  const expiration = options?.expiration ?? (options?.expirationTtl ? Math.floor(nowMs / 1000) + options.expirationTtl : undefined);
  return { key, value: bytes, metadata: options?.metadata, ...(expiration ? { expiration } : {}) };
}

export function asNamespace(target: KVTarget): KVNamespaceLike {
  return {
    async getWithMetadata<M>(key: string) {
      const hit = await target.get(key);
      return { value: hit ? (hit.value.slice().buffer as ArrayBuffer) : null, metadata: (hit?.metadata ?? null) as M | null };
    },
    async put(key, value, options) {
      await target.put(entryOf(key, value, options, Date.now()));
    },
    delete: (key) => target.delete(key),
    async list<M>(options?: { prefix?: string; cursor?: string | null }) {
      // The sweep pages with cursors; a target lists lazily, so hand it everything at once.
      if (options?.cursor) return { keys: [], list_complete: true };
      const keys: { name: string; expiration?: number; metadata?: M }[] = [];
      for await (const k of target.list(options?.prefix ?? ""))
        keys.push({ name: k.name, ...(k.expiration ? { expiration: k.expiration } : {}), metadata: k.metadata as M });
      return { keys, list_complete: true };
    },
  };
}
