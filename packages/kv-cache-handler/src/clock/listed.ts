/**
 * The whole tag clock as a tool reads it from KV in bulk (`edge-isr gc`): the
 * coordinator's snapshot and every per-tag record, listed 1,000 at a time
 * from their metadata — no read per tag, so it stays within an API's rate
 * limits however many tags were invalidated.
 */
import { SNAPSHOT_KEY } from "../coordinator/durable-object.js";
import { type EntryMetadata, type Lifespan, lifespan } from "../metadata.js";
import { splitHashes } from "../tags.js";
import type { KVNamespaceLike } from "../types.js";
import { TAG_RECORD_PREFIX } from "./kv-records.js";
import { type TagRecord, mergeRecords, parseRecord, recordState, worse } from "./record.js";
import { type Snapshot, decodeSnapshot, snapshotVerdict } from "./snapshot.js";

export interface ListedClock {
  snapshot: Snapshot | undefined;
  records: Map<string, TagRecord>;
  /** `list()` calls it took. */
  lists: number;
  state(md: EntryMetadata, now: number): Lifespan;
}

export async function listClock(kv: KVNamespaceLike, prefix: string): Promise<ListedClock> {
  const snap = await kv.getWithMetadata(prefix + SNAPSHOT_KEY, { type: "arrayBuffer" });
  let snapshot: Snapshot | undefined;
  try {
    snapshot = snap.value ? decodeSnapshot(snap.value) : undefined;
  } catch {
    snapshot = undefined; // unreadable: the records are the truth
  }
  const records = new Map<string, TagRecord>();
  let cursor: string | undefined;
  let lists = 0;
  do {
    const page = await kv.list<unknown>({ prefix: prefix + TAG_RECORD_PREFIX, cursor, limit: 1000 });
    lists++;
    for (const key of page.keys) {
      const record = parseRecord(key.metadata);
      const hash = key.name.slice(prefix.length + TAG_RECORD_PREFIX.length);
      if (record) records.set(hash, mergeRecords(records.get(hash), record));
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return {
    snapshot,
    records,
    lists,
    state(md, now) {
      let state = lifespan(md, now);
      if (state === "expired") return state;
      const hashes = splitHashes(md.t);
      // Recent invalidations are exact in the snapshot; older folds are confirmed by the records.
      if (snapshot) state = worse(state, snapshotVerdict(snapshot, hashes, md.m, now, 120_000).state);
      for (const hash of hashes) {
        const record = records.get(hash);
        if (record) state = worse(state, recordState(record, md.m, now));
      }
      return state;
    },
  };
}
