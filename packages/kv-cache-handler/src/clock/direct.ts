/**
 * Invalidating through KV directly, as tools outside the Worker do (the CLI
 * against local state or the REST API): the per-tag records every KV-only
 * reader checks, plus the pending list a coordinator picks up within a minute.
 * O(tags) operations; nothing is listed.
 */
import { EdgeIsrCacheError } from "../errors.js";
import { invalidationOf, type InvalidationResult } from "../handler.js";
import { tagHash, validateTags } from "../tags.js";
import type { KVNamespaceLike } from "../types.js";
import { KeyWriter } from "../writer.js";
import { KVRecords } from "./kv-records.js";

export interface DirectInvalidation {
  /** The handler's key prefix. Default `""`. */
  prefix?: string;
  /** Next 16's durations (none: expire now; `{}`: stale; `{ expire: n }`). */
  durations?: { expire?: number };
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  report?: (error: EdgeIsrCacheError) => void;
}

/** Writes an invalidation of `tags` straight into KV's tag clock. Invalid tags throw a coded error. */
export async function invalidateInKV(
  kv: KVNamespaceLike,
  tags: readonly string[],
  options: DirectInvalidation = {},
): Promise<InvalidationResult> {
  const { tags: valid, dropped } = validateTags(tags, Number.POSITIVE_INFINITY);
  if (dropped.length)
    throw new EdgeIsrCacheError("ERR_TAG_INVALID", `tag ${JSON.stringify(dropped[0]!.tag.slice(0, 40))}: ${dropped[0]!.reason}`);
  const now = options.now ?? Date.now;
  const report = options.report ?? (() => {});
  const writer = new KeyWriter(kv, {
    now,
    sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    report,
    retries: 3,
    writeTimeoutMs: 30_000,
  });
  const records = new KVRecords(kv, options.prefix ?? "", writer, undefined);
  const inv = invalidationOf(now(), options.durations);
  const hashes = [...new Set(await Promise.all(valid.map(tagHash)))];
  const written = await records.invalidate(hashes, inv, () => undefined);
  const listed = await records.addPending(written.records);
  return { tags: valid.length, via: "kv", failed: written.failed + (listed ? 0 : 1), degraded: false, expireAt: inv.expireAt ?? null };
}
