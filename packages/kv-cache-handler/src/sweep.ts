/**
 * Tag invalidation paid at invalidation time. Rather than every hit reading one
 * KV key per tag, `revalidateTag` lists the entries (metadata included, 1,000
 * per `list()` call), picks those whose tag hashes match, and
 * - to expire them, deletes them (one write each);
 * - to make them stale, rewrites them with a stale mark in their metadata
 *   (one read and one write each), so they are still served while they regenerate.
 * Every later hit, in any isolate, then decides from its single read.
 */
import { decodeHeader } from "./codec.js";
import { EdgeIsrCacheError, quoteKey } from "./errors.js";
import { ENTRY_PREFIX, HASHED_PREFIX } from "./keys.js";
import { KVLimits } from "./limits.js";
import { type EntryMetadata, parseMetadata } from "./metadata.js";
import { splitHashes } from "./tags.js";
import type { KVNamespaceLike } from "./types.js";
import type { KeyWriter } from "./writer.js";

/** What one invalidation did. */
export interface SweepResult {
  /** Entries listed. */
  scanned: number;
  /** Entries carrying one of the tags and written before the invalidation. */
  matched: number;
  /** Entries rewritten as stale. */
  marked: number;
  /** Entries deleted (expired). */
  deleted: number;
  /** Entries that could not be read or written (reported through `onError`). */
  failed: number;
  /** `list()` calls made. */
  listCalls: number;
}

export interface SweepRequest {
  prefix: string;
  /** Short hashes of the tags invalidated. */
  hashes: Set<string>;
  /** The full tags, checked against the value header for entries whose hashes overflowed. */
  tags: Set<string>;
  at: number;
  /** Absent: stale only. At or before `at`: expire now (delete). Later: stale now, expired then. */
  expireAt: number | undefined;
  concurrency: number;
  report: (error: EdgeIsrCacheError) => void;
}

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

export async function sweep(kv: KVNamespaceLike, writer: KeyWriter, req: SweepRequest): Promise<SweepResult> {
  const result: SweepResult = { scanned: 0, matched: 0, marked: 0, deleted: 0, failed: 0, listCalls: 0 };
  const expireNow = req.expireAt !== undefined && req.expireAt <= req.at;

  const visit = async (name: string, md: EntryMetadata, expiration: number | undefined) => {
    if (md.m > req.at) return; // written after the invalidation: already current
    // This isolate is about to write a newer copy (a regeneration): leave it be.
    const pending = writer.pending(name);
    if (pending?.type === "put" && (parseMetadata(pending.options.metadata)?.m ?? 0) > req.at) return;
    const hashed = splitHashes(md.t).some((h) => req.hashes.has(h));
    if (!hashed && !md.o) return;
    if (expireNow) {
      if (!hashed && !(await carriesTag(name))) return;
      result.matched++;
      (await writer.write(name, { type: "delete" })) ? result.deleted++ : result.failed++;
      return;
    }
    // Already marked stale and no new (earlier) expiry: nothing to write.
    if (md.s !== undefined && md.s >= md.m && (req.expireAt === undefined || (md.x !== undefined && md.x <= req.expireAt))) {
      if (hashed) result.matched++;
      return;
    }
    const read = await kv.getWithMetadata<unknown>(name, { type: "arrayBuffer" }).catch((cause: unknown) => {
      req.report(new EdgeIsrCacheError("ERR_KV_READ", `could not read ${quoteKey(name)} to mark it stale: ${String(cause)}`, { key: name, cause }));
      return undefined;
    });
    const current = parseMetadata(read?.metadata);
    if (!read?.value || !current) {
      if (read) return; // gone since the list: nothing to mark
      result.failed++;
      return;
    }
    if (!hashed && !headerHasTag(new Uint8Array(read.value))) return;
    result.matched++;
    if (current.m > req.at) return; // regenerated since the list
    if (current.m < md.m) {
      // An eventually consistent read older than the list: writing it back would
      // bring back the older page. Left as it is, and counted as failed so the caller retries.
      req.report(new EdgeIsrCacheError("ERR_KV_READ", `read an older copy of ${quoteKey(name)} than KV listed; not marked stale, try again`, { key: name }));
      result.failed++;
      return;
    }
    const metadata: EntryMetadata = { ...current, s: req.at };
    if (req.expireAt !== undefined) metadata.x = Math.min(req.expireAt, current.x ?? Infinity);
    const nowSec = Math.floor(Date.now() / 1000);
    const options =
      expiration !== undefined ? { expiration: Math.max(expiration, nowSec + KVLimits.minExpirationTtl), metadata } : { metadata };
    (await writer.write(name, { type: "put", value: new Uint8Array(read.value), options })) ? result.marked++ : result.failed++;
  };

  const headerHasTag = (bytes: Uint8Array<ArrayBuffer>) => {
    try {
      return decodeHeader(bytes).header.tags.some((t) => req.tags.has(t));
    } catch {
      return false;
    }
  };
  const carriesTag = async (name: string) => {
    const read = await kv.getWithMetadata(name, { type: "arrayBuffer" }).catch(() => undefined);
    return read?.value ? headerHasTag(new Uint8Array(read.value)) : false;
  };

  for (const group of [ENTRY_PREFIX, HASHED_PREFIX]) {
    let cursor: string | undefined;
    do {
      let page;
      try {
        page = await kv.list<unknown>({ prefix: req.prefix + group, cursor, limit: KVLimits.maxListKeys });
      } catch (cause) {
        req.report(new EdgeIsrCacheError("ERR_KV_READ", `listing ${quoteKey(req.prefix + group)} for invalidation failed: ${String(cause)}`, { cause }));
        result.failed++;
        break;
      }
      result.listCalls++;
      result.scanned += page.keys.length;
      const candidates: [string, EntryMetadata, number | undefined][] = [];
      for (const key of page.keys) {
        const md = parseMetadata(key.metadata);
        if (md) candidates.push([key.name, md, key.expiration]);
      }
      await pool(candidates, req.concurrency, ([name, md, exp]) => visit(name, md, exp));
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
  }
  return result;
}
