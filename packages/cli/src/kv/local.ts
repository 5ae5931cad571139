/**
 * The local target: the KV state Miniflare persists under `.wrangler/state`,
 * the same files `vite dev` and `vite preview` (and `wrangler dev`) read.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { type KVBinding, startMiniflare } from "../miniflare.js";
import { pool } from "../pool.js";
import type { KVEntry, KVListed, KVTarget } from "./target.js";

/** Miniflare's KV directory inside a persist root (wrangler and the Vite plugin use `v3/kv`). */
export const kvPersistDir = (persistTo: string) => join(resolve(persistTo), "v3", "kv");

/** A KVTarget over a KV binding Miniflare already runs (the prerender Worker's own). */
export function bindingTarget(kv: KVBinding, description: string, close: () => Promise<void> = async () => {}): KVTarget {
  return {
    description,
    async get(key) {
      const { value, metadata } = await kv.getWithMetadata(key, "arrayBuffer");
      return value ? { value: new Uint8Array(value), metadata } : null;
    },
    async put({ key, value, metadata, expiration }: KVEntry) {
      await kv.put(key, value, { ...(metadata !== undefined ? { metadata } : {}), ...(expiration ? { expiration } : {}) });
    },
    async putMany(entries, onProgress, signal) {
      let done = 0;
      await pool(
        entries,
        8,
        async (entry) => {
          await this.put(entry);
          onProgress?.(++done);
        },
        signal,
      );
    },
    delete: (key) => kv.delete(key),
    async *list(prefix): AsyncIterable<KVListed> {
      let cursor: string | undefined;
      do {
        const page = await kv.list({ prefix, ...(cursor ? { cursor } : {}) });
        for (const key of page.keys)
          yield { name: key.name, metadata: key.metadata, ...(key.expiration ? { expiration: key.expiration } : {}) };
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
    },
    close,
  };
}

/**
 * Whether the namespace has ever been written in this state: Miniflare keeps
 * a namespace's values under `v3/kv/<namespace id>/`, created by its first write.
 */
export const hasLocalNamespace = (persistTo: string, namespaceId: string) => existsSync(join(kvPersistDir(persistTo), namespaceId));

/**
 * Opens the persisted local namespace `namespaceId` on the project's Miniflare (which creates the
 * state directory if it is missing). If the namespace cannot be opened, Miniflare is disposed
 * before the error is thrown, so the command still exits.
 */
export async function openLocal(persistTo: string, namespaceId: string): Promise<KVTarget> {
  const mf = await startMiniflare({
    source: { script: "export default { fetch() { return new Response(null, { status: 404 }) } }" },
    kvNamespaces: { KV: namespaceId },
    persistTo,
    // Any date every supported Miniflare knows: this Worker only hands out the binding.
    compatibilityDate: "2024-12-01",
  });
  try {
    return bindingTarget(await mf.getKVNamespace("KV"), `local ${persistTo} (namespace ${namespaceId})`, () => mf.dispose());
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
}
