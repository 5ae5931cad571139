/**
 * What an invalidation costs and what a hit costs, before and after the tag
 * clock, beside vinext's handler, in one run (see benchmarks/README.md):
 *   1. KV operations and wall time of one revalidateTag vs namespace size
 *      (1k, 10k, 100k entries) and entries carrying the tag (1, 1k, 10k);
 *   2. billed KV reads per hit: busy isolate, fresh isolate in a colo that
 *      served recently, completely cold;
 *   3. the snapshot: bytes and decode / check cost by number of invalidations;
 *   4. the needless-regeneration rate for 100,000 distinct tags invalidated
 *      over 30 days (a simulation of the coordinator's folding).
 * Prints tables, writes results/latest.json.
 */
import { writeFileSync } from "node:fs";
import { applyInvalidation, recordState, type TagRecord } from "../../packages/kv-cache-handler/src/clock/record.js";
import {
  buildSnapshot,
  decodeSnapshot,
  emptyBuckets,
  foldRecord,
  snapshotState,
  snapshotVerdict,
  SnapshotLimits,
} from "../../packages/kv-cache-handler/src/clock/snapshot.js";
import { CoordinatorLimits } from "../../packages/kv-cache-handler/src/coordinator/protocol.js";
import { invalidationOf } from "../../packages/kv-cache-handler/src/handler.js";
import { benchWorker } from "../shared/miniflare.js";
import { prng } from "../shared/prng.js";
import { rounding } from "../shared/stats.js";
import { markdownTable } from "../shared/table.js";
import type { Impl } from "./worker.js";

const SIZES = [1_000, 10_000, 100_000];
const GROUPS: [string, (n: number) => number][] = [
  ["g1", () => 1],
  ["g1k", (n) => Math.min(1000, n - 1)],
  ["g10k", (n) => (n > 11_000 ? 10_000 : 0)],
];
const IMPLS: Impl[] = ["sweep (before)", "tag clock, KV only", "tag clock, coordinator", "vinext"];
const out: Record<string, unknown> = {};
/** BENCH_ONLY=3,4 runs only those parts (1 and 2 need Miniflare and take most of the ~15 minutes). */
const only = process.env.BENCH_ONLY?.split(",").map(Number);
const part = (n: number) => !only || only.includes(n);
const table = (headers: string[], rows: (string | number)[][]) => console.log(markdownTable(headers, rows));
const fmt = rounding(3);

// ---------------------------------------------------------------- Miniflare
const mf =
  part(1) || part(2)
    ? benchWorker(new URL("./worker.js", import.meta.url), {
        kvNamespaces: ["CACHE"],
        durableObjects: { EDGE_ISR_COORDINATOR: { className: "EdgeIsrCoordinator", useSQLite: true } },
        compatibilityFlags: ["nodejs_compat"],
      })
    : undefined;
await mf?.ready;
const call = async <T>(path: string, body: unknown): Promise<T> => {
  const res = await mf!.dispatchFetch(`http://bench${path}`, { method: "POST", body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`bench: ${path} answered ${res.status}: ${await res.text()}`);
  return res.json() as Promise<T>;
};

// ---------------------------------------------------------------- 1. invalidation cost
const invalidation: Record<string, unknown>[] = [];
if (part(1)) console.log("\n1. One revalidateTag: KV operations and wall time, by namespace size and entries carrying the tag\n");
for (const size of part(1) ? SIZES : []) {
  const seeded = new Map<Impl, string>();
  for (const impl of IMPLS) {
    // Each implementation gets its own copy of the namespace (the sweep rewrites entries).
    const prefix = `n${size}-${IMPLS.indexOf(impl)}/`;
    seeded.set(impl, prefix);
    if (impl === "vinext") continue; // vinext's invalidation writes one key per tag whatever the entries: measured on an empty prefix
    for (let from = 0; from < size; from += 2000) await call("/seed", { prefix, from, to: Math.min(size, from + 2000) });
  }
  for (const [group, count] of GROUPS) {
    const tagged = count(size);
    if (!tagged) continue;
    for (const impl of IMPLS) {
      const r = await call<{ ms: number; operations: number; reads: number; writes: number; deletes: number; lists: number }>(
        "/invalidate",
        { impl, prefix: seeded.get(impl), tag: group },
      );
      invalidation.push({ entries: size, tagged, impl, ...r, fits: r.operations <= 1000 });
      process.stdout.write(".");
    }
  }
}
if (part(1))
  table(
    ["entries", "tagged", "handler", "KV ops", "reads", "writes", "lists", "ms", "fits 1,000 ops"],
    invalidation.map((r) => [
      r.entries as number,
      r.tagged as number,
      r.impl as string,
      r.operations as number,
      r.reads as number,
      r.writes as number,
      r.lists as number,
      r.ms as number,
      r.fits ? "yes" : "NO",
    ]),
  );
out.invalidation = invalidation;

// ---------------------------------------------------------------- 2. reads per hit
const hits: (string | number)[][] = [];
const hitRows: Record<string, unknown>[] = [];
if (part(2)) console.log("\n2. Billed KV reads per hit (tags g1k, item:1, category:shoes; a revalidateTag of another tag first)\n");
for (const impl of (part(2) ? ["tag clock, KV only", "tag clock, coordinator", "vinext"] : []) as Impl[]) {
  for (const [mode, n] of [
    ["busy", 6000],
    ["fresh", 200],
    ["cold", 200],
  ] as const) {
    if (impl !== "tag clock, coordinator" && mode === "cold") continue; // no colo tier to be cold in
    const prefix = `hits-${IMPLS.indexOf(impl)}-${mode}/`;
    const r = await call<{ served: number; reads: number; operations: number; writes: number }>("/hits", { impl, prefix, mode, n });
    if (r.served !== n) throw new Error(`bench: ${impl} ${mode} served ${r.served} of ${n} hits`);
    hits.push([
      impl,
      mode === "busy"
        ? "busy isolate (100 hits/s, 60 s)"
        : mode === "fresh"
          ? "fresh isolate, colo served recently"
          : "fresh isolate, cold colo",
      n,
      fmt(r.reads / n),
      fmt(r.operations / n),
      r.writes,
    ]);
    hitRows.push({ impl, mode, n, readsPerHit: r.reads / n, opsPerHit: r.operations / n, writes: r.writes });
  }
}
if (part(2)) table(["handler", "isolate", "hits", "reads/hit", "KV ops/hit", "writes"], hits);
out.hits = hitRows;

// ---------------------------------------------------------------- 3. snapshot size and cost
if (part(3)) console.log("\n3. The clock snapshot: bytes, decode and check cost, by invalidations recorded\n");
const T0 = Date.UTC(2026, 10, 1);
const hashOf = (i: number) => {
  let x = (i + 1) * 2654435761;
  let s = "";
  for (let j = 0; j < 6; j++) {
    x = Math.imul(x ^ (x >>> 13), 0x5bd1e995) >>> 0;
    s += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[x & 63];
  }
  return s;
};
const snapRows: Record<string, unknown>[] = [];
for (const count of part(3) ? [10, 1_000, 10_000, 100_000] : []) {
  const records: [string, TagRecord][] = Array.from({ length: Math.min(count, CoordinatorLimits.maxRows) }, (_, i) => [
    hashOf(i),
    applyInvalidation(undefined, invalidationOf(T0 + i * 1000, undefined)),
  ]);
  const buckets = emptyBuckets();
  for (let i = CoordinatorLimits.maxRows; i < count; i++)
    foldRecord(buckets, SnapshotLimits.bucketBits, hashOf(i), applyInvalidation(undefined, invalidationOf(T0 + i * 1000, undefined)));
  const { bytes, exact, folded } = buildSnapshot({ records, buckets, publishedAt: T0 + count * 1000, absorbedAt: 0, complete: true });
  const reps = 200;
  let started = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) decodeSnapshot(bytes);
  const decodeUs = Number(process.hrtime.bigint() - started) / 1000 / reps;
  const snap = decodeSnapshot(bytes);
  const checks = 100_000;
  const tags = Array.from({ length: 8 }, (_, i) => hashOf(1_000_000 + i));
  started = process.hrtime.bigint();
  for (let r = 0; r < checks; r++) snapshotState(snap, tags, T0, T0 + 1);
  const checkUs = Number(process.hrtime.bigint() - started) / 1000 / checks;
  snapRows.push({ invalidations: count, bytes: bytes.byteLength, exact, folded, decodeUs, checkUs });
}
if (part(3))
  table(
    ["invalidations", "bytes", "exact", "folded", "decode µs", "check of 8 tags µs"],
    snapRows.map((r) => [
      r.invalidations as number,
      r.bytes as number,
      r.exact as number,
      r.folded as number,
      fmt(r.decodeUs as number, 1),
      fmt(r.checkUs as number, 2),
    ]),
  );
out.snapshot = snapRows;

// ---------------------------------------------------------------- 4. needless regenerations
if (part(4)) {
  console.log("\n4. Needless regenerations: 100,000 distinct tags invalidated over 30 days (one every 26 s)\n");
  const DAY = 86_400_000;
  const INVALIDATIONS = 100_000;
  const ENTRIES = 20_000;
  const TAGS_PER_ENTRY = 6;
  const random = prng(30);
  const spacing = (30 * DAY) / INVALIDATIONS;
  // Entries carry tags that are never invalidated (any regeneration because of them is needless)
  // and, for a quarter of them, one tag that is (that regeneration is due).
  const entries = Array.from({ length: ENTRIES }, (_, e) => ({
    tags: Array.from({ length: TAGS_PER_ENTRY }, (_, j) => hashOf(10_000_000 + e * TAGS_PER_ENTRY + j)),
    hot: e % 4 === 0 ? Math.floor(random() * INVALIDATIONS) : -1,
    m: { bucketsOnly: T0, confirmed: T0 },
  }));
  const truth = new Map<string, TagRecord>(); // the per-tag records the coordinator writes to KV
  const rows: [string, TagRecord][] = [];
  const buckets = emptyBuckets();
  let next = 0;
  const counts = { bucketsOnly: { due: 0, needless: 0 }, confirmed: { due: 0, needless: 0, confirmations: 0 } };
  const checkEvery = 3_600_000; // each entry is requested (and checked) once an hour
  const stateByRecords = (hashes: string[], m: number, t: number) =>
    hashes.some((h) => {
      const r = truth.get(h);
      return r !== undefined && recordState(r, m, t) !== "fresh";
    });
  for (let t = T0 + checkEvery; t <= T0 + 30 * DAY; t += checkEvery) {
    for (; next < INVALIDATIONS && T0 + next * spacing <= t; next++) {
      const hash = hashOf(next);
      const record = applyInvalidation(undefined, invalidationOf(T0 + next * spacing, undefined));
      truth.set(hash, record);
      rows.push([hash, record]);
    }
    // The coordinator keeps maxRows rows and folds the oldest into its bucket table.
    while (rows.length > CoordinatorLimits.maxRows) {
      const [hash, record] = rows.shift()!;
      foldRecord(buckets, SnapshotLimits.bucketBits, hash, record);
    }
    const snap = decodeSnapshot(buildSnapshot({ records: rows, buckets, publishedAt: t, absorbedAt: 0, complete: true }).bytes);
    for (const entry of entries) {
      const hashes = entry.hot >= 0 ? [...entry.tags, hashOf(entry.hot)] : entry.tags;
      // Without confirmation: the snapshot at its word.
      if (snapshotState(snap, hashes, entry.m.bucketsOnly, t) !== "fresh") {
        counts.bucketsOnly[stateByRecords(hashes, entry.m.bucketsOnly, t) ? "due" : "needless"]++;
        entry.m.bucketsOnly = t;
      }
      // As readers do: folded tags confirmed against their records.
      const verdict = snapshotVerdict(snap, hashes, entry.m.confirmed, t, 120_000);
      if (verdict.unsure.length) counts.confirmed.confirmations++;
      const invalidated = verdict.state !== "fresh" || (verdict.unsure.length > 0 && stateByRecords(verdict.unsure, entry.m.confirmed, t));
      if (invalidated) {
        counts.confirmed[stateByRecords(hashes, entry.m.confirmed, t) ? "due" : "needless"]++;
        entry.m.confirmed = t;
      }
    }
  }
  const checks = entries.length * 30 * 24;
  const pct = (n: number, d: number) => `${fmt((n / d) * 100, 3)} %`;
  table(
    ["reader", "hourly checks", "due regenerations", "needless regenerations", "needless per check", "checks that read a tag record"],
    [
      [
        "snapshot alone (buckets at their word)",
        checks,
        counts.bucketsOnly.due,
        counts.bucketsOnly.needless,
        pct(counts.bucketsOnly.needless, checks),
        "–",
      ],
      [
        "snapshot + record confirmation (shipped)",
        checks,
        counts.confirmed.due,
        counts.confirmed.needless,
        pct(counts.confirmed.needless, checks),
        pct(counts.confirmed.confirmations, checks),
      ],
    ],
  );
  out.needless = { invalidations: INVALIDATIONS, entries: ENTRIES, tagsPerEntry: TAGS_PER_ENTRY, checks, ...counts };
}

writeFileSync(new URL("./latest.json", import.meta.url), JSON.stringify(out, null, 2));
await mf?.dispose();
process.exit(0); // Miniflare's loopback server can keep the event loop alive after dispose
