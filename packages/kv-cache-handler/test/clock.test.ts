/**
 * The tag clock's pure parts: records (Next 16's stale/expire semantics, and
 * merging in any order) and the snapshot format (exact records, folded buckets
 * that only err towards invalidated, the 64 KiB bound).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EMPTY_RECORD, type TagRecord, applyInvalidation, mergeRecords, recordState, settle } from "../src/clock/record.js";
import {
  CorruptSnapshot,
  SnapshotLimits,
  buildSnapshot,
  compareSnapshots,
  decodeSnapshot,
  emptyBuckets,
  snapshotState,
} from "../src/clock/snapshot.js";
import { invalidationOf } from "../src/handler.js";

const T = 1_800_000_000_000;

describe("tag records", () => {
  it("revalidateTag without durations expires entries generated before it, at once", () => {
    const r = applyInvalidation(undefined, invalidationOf(T, undefined));
    expect(recordState(r, T - 1, T)).toBe("expired");
    expect(recordState(r, T + 1, T + 1)).toBe("fresh");
  });

  it("{ expire: n } is stale now and expired n seconds later; entries regenerated meanwhile stay fresh", () => {
    const r = applyInvalidation(undefined, invalidationOf(T, { expire: 60 }));
    expect(recordState(r, T - 1, T)).toBe("stale");
    expect(recordState(r, T - 1, T + 59_999)).toBe("stale");
    expect(recordState(r, T - 1, T + 60_000)).toBe("expired");
    expect(recordState(r, T + 5_000, T + 120_000)).toBe("fresh");
  });

  it("{} (a profile without expire) is stale and never expires", () => {
    const r = applyInvalidation(undefined, invalidationOf(T, {}));
    expect(recordState(r, T - 1, T + 10 ** 9)).toBe("stale");
  });

  it("a later stale-only invalidation keeps an earlier expiry", () => {
    const r = applyInvalidation(applyInvalidation(undefined, invalidationOf(T, undefined)), invalidationOf(T + 1000, {}));
    expect(recordState(r, T - 1, T + 2000)).toBe("expired");
    expect(recordState(r, T + 500, T + 2000)).toBe("stale");
  });

  it("merges in any order to the same record, never fresher than either", () => {
    const inv = fc.record({
      at: fc.integer({ min: T, max: T + 10_000 }),
      expire: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
      swr: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(inv, { minLength: 1, maxLength: 6 }),
        fc.array(inv, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: T - 5000, max: T + 10_000 }),
        fc.integer({ min: 0, max: 200_000 }),
        (as, bs, m, dt) => {
          const apply = (list: typeof as) =>
            list.reduce<TagRecord | undefined>(
              (r, i) => applyInvalidation(r, invalidationOf(i.at, i.swr ? {} : i.expire === undefined ? undefined : { expire: i.expire })),
              undefined,
            )!;
          const a = apply(as);
          const b = apply(bs);
          const now = T + 10_000 + dt;
          const rank = { fresh: 0, stale: 1, expired: 2 } as const;
          const ab = mergeRecords(a, b);
          expect(mergeRecords(b, a)).toEqual(ab);
          expect(rank[recordState(ab, m, now)]).toBeGreaterThanOrEqual(
            Math.max(rank[recordState(a, m, now)], rank[recordState(b, m, now)]),
          );
        },
      ),
    );
  });

  it("settles a due pending expiry into the expired watermark", () => {
    const r = applyInvalidation(undefined, invalidationOf(T, { expire: 10 }));
    expect(settle(r, T + 9_999)).toBe(r);
    expect(settle(r, T + 10_000)).toEqual({ ...EMPTY_RECORD, s: T, w: T });
  });
});

describe("clock snapshots", () => {
  const hashes = (n: number, seed = 0) =>
    Array.from({ length: n }, (_, i) => {
      const x = (i + seed * 1_000_003) * 2654435761;
      return Array.from(
        { length: 6 },
        (_, j) => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[(x >>> (j * 5)) & 63],
      ).join("");
    });

  it("round-trips exact records", () => {
    const records: [string, TagRecord][] = [
      ["AAAAAA", { s: T, w: T, fx: 0, fa: 0 }],
      ["BBBBBB", { s: T + 5, w: 0, fx: T + 60_000, fa: T + 5 }],
      ["CCCCCC", { s: T + 9, w: T + 1, fx: 0, fa: 0 }],
    ];
    const { bytes, exact, folded } = buildSnapshot({
      records,
      buckets: emptyBuckets(),
      publishedAt: T + 10,
      absorbedAt: T,
      complete: true,
    });
    expect([exact, folded]).toEqual([3, 0]);
    const snap = decodeSnapshot(bytes);
    expect(new Map(snap.exact.entries())).toEqual(new Map(records));
    expect(snap.exact.get("ZZZZZZ")).toBeUndefined();
    expect([snap.publishedAt, snap.absorbedAt, snap.complete]).toEqual([T + 10, T, true]);
    expect(snapshotState(snap, ["AAAAAA"], T - 1, T + 20)).toBe("expired");
    expect(snapshotState(snap, ["BBBBBB"], T - 1, T + 20)).toBe("stale");
    expect(snapshotState(snap, ["BBBBBB"], T - 1, T + 60_000)).toBe("expired");
    expect(snapshotState(snap, ["DDDDDD"], T - 1, T + 20)).toBe("fresh");
  });

  it("carries the coordinator's sequence, which orders snapshots built in the same millisecond", () => {
    const build = (sequence?: number) =>
      decodeSnapshot(
        buildSnapshot({ records: [], buckets: emptyBuckets(), publishedAt: T, absorbedAt: T, complete: true, sequence }).bytes,
      );
    const [older, newer, unknown] = [build(7), build(8), build()];
    expect([older.sequence, newer.sequence, unknown.sequence]).toEqual([7, 8, 0]);
    expect(compareSnapshots(newer, older)).toBeGreaterThan(0);
    expect(compareSnapshots(older, newer)).toBeLessThan(0);
    // Without a sequence on both sides (a snapshot from before it existed), publish time decides.
    expect(compareSnapshots(unknown, newer)).toBe(0);
    expect(compareSnapshots({ sequence: 0, publishedAt: T + 1 }, newer)).toBeGreaterThan(0);
  });

  it("stays within 64 KiB for 100,000 invalidations and never reads an invalidated entry as fresher", () => {
    const all = hashes(100_000);
    const records = all.map(
      (h, i) => [h, applyInvalidation(undefined, invalidationOf(T + i * 1000, i % 3 ? undefined : {}))] as [string, TagRecord],
    );
    const { bytes, folded } = buildSnapshot({
      records,
      buckets: emptyBuckets(),
      publishedAt: T + 100_000_000,
      absorbedAt: 0,
      complete: true,
    });
    expect(bytes.byteLength).toBeLessThanOrEqual(SnapshotLimits.maxBytes);
    expect(folded).toBeGreaterThan(90_000);
    const snap = decodeSnapshot(bytes);
    const rank = { fresh: 0, stale: 1, expired: 2 } as const;
    for (let i = 0; i < records.length; i += 7) {
      const [hash, record] = records[i]!;
      const m = record.s - 1; // generated just before its tag was invalidated
      expect(rank[snapshotState(snap, [hash], m, T + 200_000_000)]).toBeGreaterThanOrEqual(rank[recordState(record, m, T + 200_000_000)]);
    }
  });

  it("refuses damaged bytes", () => {
    const { bytes } = buildSnapshot({
      records: [["AAAAAA", { s: T, w: T, fx: 0, fa: 0 }]],
      buckets: emptyBuckets(),
      publishedAt: T,
      absorbedAt: 0,
      complete: true,
    });
    expect(() => decodeSnapshot(bytes.subarray(0, bytes.byteLength - 3))).toThrow(CorruptSnapshot);
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => decodeSnapshot(bad)).toThrow(CorruptSnapshot);
  });
});
