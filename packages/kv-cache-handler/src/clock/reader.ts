/**
 * The tag clock as tools read it from KV alone (the CLI's inspect and gc): the
 * coordinator's snapshot, if one was published, and the per-tag records of
 * the tags asked about. One read for the snapshot, one bulk read per 100 tags.
 */
import { lifespan, type EntryMetadata, type Lifespan } from "../metadata.js";
import { SNAPSHOT_KEY } from "../coordinator/durable-object.js";
import type { KVNamespaceLike } from "../types.js";
import { splitHashes } from "../tags.js";
import { TAG_RECORD_PREFIX, readTexts } from "./kv-records.js";
import { type TagRecord, parseRecord, recordState, worse } from "./record.js";
import { type Snapshot, decodeSnapshot, snapshotVerdict } from "./snapshot.js";

export interface ClockView {
  /** The coordinator's snapshot, when one was published (`undefined`: KV-only, or never invalidated). */
  snapshot: Snapshot | undefined;
  /** Per-tag records read, by tag hash. */
  records: Map<string, TagRecord>;
  /** Where an entry with this metadata is in its life: its own lifespan and its tags' invalidations. */
  state(md: EntryMetadata, now: number): Lifespan;
}

/** Reads the clock for entries carrying `hashes` (tag hashes as stored in metadata). */
export async function readClock(kv: KVNamespaceLike, prefix: string, hashes: Iterable<string>): Promise<ClockView> {
  const unique = [...new Set(hashes)];
  const [snap, texts] = await Promise.all([
    kv.getWithMetadata(prefix + SNAPSHOT_KEY, { type: "arrayBuffer" }),
    readTexts(
      kv,
      unique.map((h) => prefix + TAG_RECORD_PREFIX + h),
    ),
  ]);
  let snapshot: Snapshot | undefined;
  try {
    snapshot = snap.value ? decodeSnapshot(snap.value) : undefined;
  } catch {
    snapshot = undefined; // unreadable: the per-tag records still count
  }
  const records = new Map<string, TagRecord>();
  for (const hash of unique) {
    const text = texts.get(prefix + TAG_RECORD_PREFIX + hash);
    let record: TagRecord | undefined;
    try {
      record = text ? parseRecord(JSON.parse(text)) : undefined;
    } catch {
      record = undefined;
    }
    if (record) records.set(hash, record);
  }
  return {
    snapshot,
    records,
    state(md, now) {
      let state = lifespan(md, now);
      if (state === "expired") return state;
      const own = splitHashes(md.t);
      // The snapshot's exact records and recent folds; older folds are confirmed by the records read below.
      if (snapshot) state = worse(state, snapshotVerdict(snapshot, own, md.m, now, 120_000).state);
      for (const hash of own) {
        const record = records.get(hash);
        if (record) state = worse(state, recordState(record, md.m, now));
      }
      return state;
    },
  };
}
