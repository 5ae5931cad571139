/**
 * One tag's line in the tag clock: what its invalidations so far mean for an
 * entry generated at a given time. Records only ever move towards "more
 * invalidated" (every field is a watermark), so any two copies merge by taking
 * the larger of each field, in any order, without losing an invalidation.
 *
 *   s   entries generated at or before `s` are stale (served while they regenerate)
 *   w   entries generated at or before `w` are expired (a miss: the next request renders)
 *   fx  a pending expiry: from `fx` on, entries generated at or before `fa` are expired
 *       (`revalidateTag(tag, { expire: n })`); 0 when there is none
 *
 * All times are ms since the epoch.
 */
import type { Lifespan } from "../metadata.js";

export interface TagRecord {
  s: number;
  w: number;
  fx: number;
  fa: number;
}

/** One `revalidateTag` call: entries generated up to `at` go stale now and expire at `expireAt` (never when undefined). */
export interface Invalidation {
  at: number;
  expireAt: number | undefined;
}

export const EMPTY_RECORD: Readonly<TagRecord> = Object.freeze({ s: 0, w: 0, fx: 0, fa: 0 });

/** Moves a pending expiry that is due by `now` into the expired watermark. */
export function settle(record: TagRecord, now: number): TagRecord {
  if (record.fx === 0 || record.fx > now) return record;
  return { s: record.s, w: Math.max(record.w, record.fa), fx: 0, fa: 0 };
}

/**
 * The record after one more invalidation. Two pending expiries at once are
 * merged into the earlier time for the later generation: an entry may then
 * expire sooner than asked, never later.
 */
export function applyInvalidation(record: TagRecord | undefined, inv: Invalidation): TagRecord {
  const r = settle(record ?? EMPTY_RECORD, inv.at);
  const next: TagRecord = { s: Math.max(r.s, inv.at), w: r.w, fx: r.fx, fa: r.fa };
  if (inv.expireAt === undefined) return next;
  if (inv.expireAt <= inv.at) {
    next.w = Math.max(next.w, inv.at);
    return next;
  }
  if (next.fx === 0) {
    next.fx = inv.expireAt;
    next.fa = inv.at;
  } else {
    next.fx = Math.min(next.fx, inv.expireAt);
    next.fa = Math.max(next.fa, inv.at);
  }
  return next;
}

/** Both records' invalidations in one (order does not matter; errs towards expired, never towards fresh). */
export function mergeRecords(a: TagRecord | undefined, b: TagRecord | undefined): TagRecord {
  if (!a) return b ?? { ...EMPTY_RECORD };
  if (!b) return a;
  const merged: TagRecord = { s: Math.max(a.s, b.s), w: Math.max(a.w, b.w), fx: a.fx || b.fx, fa: Math.max(a.fa, b.fa) };
  if (a.fx && b.fx) merged.fx = Math.min(a.fx, b.fx);
  else if (!merged.fx) merged.fa = 0;
  return merged;
}

/** What the record means for an entry generated at `m`, at `now`. */
export function recordState(record: TagRecord, m: number, now: number): Lifespan {
  if (m <= record.w || (record.fx !== 0 && record.fx <= now && m <= record.fa)) return "expired";
  if (m <= record.s) return "stale";
  return "fresh";
}

/** The later of two states in an entry's life. */
export function worse(a: Lifespan, b: Lifespan): Lifespan {
  if (a === "expired" || b === "expired") return "expired";
  if (a === "stale" || b === "stale") return "stale";
  return "fresh";
}

const isTime = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x) && x >= 0;

/** A record read back from KV or a peer; `undefined` when it is not one. */
export function parseRecord(raw: unknown): TagRecord | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Partial<TagRecord>;
  if (!isTime(r.s) || !isTime(r.w) || !isTime(r.fx) || !isTime(r.fa)) return undefined;
  return { s: r.s, w: r.w, fx: r.fx, fa: r.fa };
}
