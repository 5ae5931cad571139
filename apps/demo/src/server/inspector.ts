/**
 * The inspector's view of the CACHE namespace: every edge-isr entry with its
 * route, build, sizes, age, state and tags. Sizes and state come from the KV
 * metadata of `list()`; the route and the tags need the entry's header, so
 * each entry is read once (fine for a demo's few dozen pages).
 */
import { decodeHeader, ENTRY_PREFIX, HASHED_PREFIX, type KVCacheHandler, parseMetadata } from "@edge-isr/kv-cache-handler";
import type { InspectorEntry } from "../types";

async function listAll(kv: KVNamespace, prefix: string) {
  const keys: KVNamespaceListKey<unknown>[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix, cursor });
    keys.push(...page.keys);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return keys;
}

export async function listEntries(kv: KVNamespace, handler: KVCacheHandler): Promise<InspectorEntry[]> {
  const keys = [...(await listAll(kv, ENTRY_PREFIX)), ...(await listAll(kv, HASHED_PREFIX))];
  const entries = await Promise.all(
    keys.map(async ({ name, metadata }): Promise<InspectorEntry | undefined> => {
      const md = parseMetadata(metadata);
      const bytes = await kv.get(name, "arrayBuffer");
      if (!md || !bytes) return undefined; // deleted meanwhile, or not an entry of ours
      let cacheKey = name.slice(ENTRY_PREFIX.length);
      let tags: string[] = [];
      // Its own lifespan and the tag clock's word, as a read would decide.
      let state: InspectorEntry["state"] = await handler.entryState(metadata);
      try {
        const { header } = decodeHeader(new Uint8Array(bytes));
        cacheKey = header.k;
        tags = header.tags;
      } catch {
        state = "unreadable";
      }
      const colon = cacheKey.indexOf(":");
      return {
        key: cacheKey,
        build: colon === -1 ? "?" : cacheKey.slice(0, colon),
        route: colon === -1 ? cacheKey : cacheKey.slice(colon + 1),
        storedBytes: md.z,
        rawBytes: md.w,
        lastModified: md.m,
        state,
        tags,
      };
    }),
  );
  return entries.filter((e): e is InspectorEntry => e !== undefined).sort((a, b) => a.build.localeCompare(b.build) || a.route.localeCompare(b.route));
}
