/**
 * `edge-isr gc`: deletes entries that can never be served again — expired by
 * their own `expire`, or by a tag invalidation (the tag clock) — so KV does not
 * keep them until their TTL. It reads the clock once (the snapshot and every
 * tag's record, from list metadata) and then goes through the entries a list
 * page (1,000 keys) at a time: memory and requests are bounded per page, any
 * namespace size fits, and a run can stop and start again (nothing it has not
 * checked is touched; `--max` bounds one run).
 */
import { ENTRY_PREFIX, HASHED_PREFIX, listClock, parseMetadata } from "@edge-isr/kv-cache-handler";
import { asNamespace } from "../kv/adapter.js";
import type { KVTarget } from "../kv/target.js";
import { pool } from "../pool.js";

export interface GcOptions {
  dryRun: boolean;
  /** Entries to check in this run at most (the rest next time). */
  max?: number;
  /** Deletes in flight at once. */
  concurrency?: number;
  now?: number;
}

export interface GcResult {
  checked: number;
  expired: number;
  deleted: number;
  /** Tag records read (from list metadata) and list calls they took. */
  tagRecords: number;
  clockLists: number;
}

export async function gc(target: KVTarget, opts: GcOptions): Promise<GcResult> {
  const now = opts.now ?? Date.now();
  const clock = await listClock(asNamespace(target), "");
  const result: GcResult = { checked: 0, expired: 0, deleted: 0, tagRecords: clock.records.size, clockLists: clock.lists };
  console.log(
    `read the tag clock: ${clock.snapshot ? `the coordinator's snapshot (${clock.snapshot.exact.size} exact invalidations) and ` : ""}${clock.records.size} tag record(s) in ${clock.lists} list call(s)`,
  );
  let page: string[] = [];
  const flush = async () => {
    if (!opts.dryRun) {
      await pool(page, opts.concurrency ?? 4, async (key) => {
        await target.delete(key);
        result.deleted++;
      });
    }
    page = [];
  };
  for (const group of [ENTRY_PREFIX, HASHED_PREFIX]) {
    for await (const listed of target.list(group)) {
      if (opts.max !== undefined && result.checked >= opts.max) break;
      result.checked++;
      const md = parseMetadata(listed.metadata);
      if (md && clock.state(md, now) === "expired") {
        result.expired++;
        page.push(listed.name);
      }
      if (page.length >= 1000) await flush();
    }
  }
  await flush();
  const more = opts.max !== undefined && result.checked >= opts.max ? ` (stopped at --max ${opts.max}: run it again for the rest)` : "";
  console.log(
    opts.dryRun
      ? `checked ${result.checked} entries: ${result.expired} can never be served again and would be deleted (--dry-run)${more}`
      : `checked ${result.checked} entries: deleted ${result.deleted} that can never be served again${more}`,
  );
  return result;
}
