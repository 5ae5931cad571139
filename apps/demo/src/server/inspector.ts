/**
 * The inspector's view of the CACHE namespace, one page at a time: each page
 * is one `list()` call (50 keys with their metadata) and no read of any entry.
 * The metadata holds what the table shows — sizes, when it was written, its
 * lifespan and tag hashes (checked against the tag clock) — and the key holds the build and the route (a key too long for KV
 * is stored under its hash, so only "a long path" can be said of it).
 */
import { ENTRY_PREFIX, HASHED_PREFIX, type KVCacheHandler, type Lifespan, parseMetadata } from "@edge-isr/kv-cache-handler";
import type { InspectorEntry } from "../types";

/** Keys per page of the inspector. */
export const PAGE_SIZE = 50;
/** A KV list cursor as the inspector's links carry it back (KV's are base64 text, well under this). */
const CURSOR = /^[A-Za-z0-9+/=_-]{1,1024}$/;

export interface InspectorPage {
  entries: InspectorEntry[];
  /** The cursor of the next page; absent on the last. */
  next?: string;
}

function entryOf(name: string, prefix: string, metadata: unknown, state: Lifespan | "unreadable"): InspectorEntry | undefined {
  const md = parseMetadata(metadata);
  if (state === "unreadable") return undefined;
  const local = name.slice(prefix.length);
  if (!md || !(local.startsWith(ENTRY_PREFIX) || local.startsWith(HASHED_PREFIX))) return undefined; // not an entry (the build pointer, a lease)
  const hashed = local.startsWith(HASHED_PREFIX);
  const cacheKey = hashed ? "" : local.slice(ENTRY_PREFIX.length);
  const colon = cacheKey.indexOf(":");
  return {
    key: name,
    build: colon === -1 ? "?" : cacheKey.slice(0, colon),
    route: hashed ? "(a long path, stored under its hash)" : cacheKey.slice(colon + 1),
    storedBytes: md.z,
    rawBytes: md.w,
    lastModified: md.m,
    state,
  };
}

/**
 * One page of the entries under the handler's `prefix`, from `cursor` (the
 * start when absent); an error with its status when there is none to show.
 */
export async function listEntries(
  kv: KVNamespace,
  handler: KVCacheHandler,
  cursor: string | undefined,
): Promise<InspectorPage | { status: number; error: string }> {
  const prefix = handler.prefix;
  const stale = { status: 400, error: "that page of the listing is not valid any more; start again from the first page" };
  if (cursor !== undefined && !CURSOR.test(cursor)) return stale;
  let page: KVNamespaceListResult<unknown, string>;
  try {
    page = await kv.list({ prefix, cursor, limit: PAGE_SIZE });
  } catch {
    return cursor === undefined ? { status: 503, error: "KV could not be listed just now; try again" } : stale;
  }
  // Each entry's state as a read would decide it: its own lifespan and the tag clock (one read per 100 tags at most, no entry read).
  const states = await handler.entryStates(page.keys.map(({ metadata }) => metadata));
  const entries = page.keys
    .map(({ name, metadata }, i) => entryOf(name, prefix, metadata, states[i]!))
    .filter((e): e is InspectorEntry => e !== undefined);
  return page.list_complete ? { entries } : { entries, next: page.cursor };
}
