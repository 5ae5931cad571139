/**
 * The tag clock of the KV-only setup: per-tag records (kv-records.ts), read
 * for the tags of the entries this isolate serves and memoized.
 *
 * A tag this isolate has not seen yet is read before its entry is answered
 * (one bulk read for up to 100 tags); a memoized tag older than `refreshMs`
 * is answered from memory and re-read in the background. Invalidations made
 * here apply at once. Memory only ever merges towards "more invalidated", so
 * a lagging read cannot undo what this isolate knows.
 */
import type { Lifespan } from "../metadata.js";
import type { ColoCache } from "./colo-cache.js";
import { Flights } from "./flights.js";
import type { KVRecords } from "./kv-records.js";
import { type Invalidation, type TagRecord, mergeRecords, parseRecord, recordState, worse } from "./record.js";

/** Tags remembered per isolate (oldest forgotten first). */
const MAX_MEMO = 10_000;
/** Longest a request waits for another request's read of the same records (ms). */
const JOIN_MS = 2_000;

/** A per-tag read older than this is taken as lost (its request ended without waitUntil), ms. */
const STUCK_MS = 10_000;

export interface ClockDeps {
  now: () => number;
  /** How long a memoized record is used before it is re-read in the background, ms. */
  refreshMs: number;
  /** Keeps background work alive (ctx.waitUntil) or lets it run. */
  background: (work: Promise<unknown>) => void;
  /** Reports background failures. */
  failed: (error: unknown) => void;
  /** The colo's Cache API, to share records between this colo's isolates (only where the clock has a unique name). */
  colo?: ColoCache;
}

/** Where an invalidation was recorded. */
export type InvalidationPath = "coordinator" | "kv";

/** What the handler needs of a clock, with or without a coordinator. */
export interface TagClock {
  /** Starts loading what `state` will need beside the entry's read; a promise for this request alone, if any. */
  prepare(now: number): Promise<void> | undefined;
  /** What the clock says about an entry generated at `m` carrying `hashes`. Throws when it cannot tell. */
  state(hashes: readonly string[], m: number, now: number): Promise<Lifespan>;
  /** Records an invalidation; `failed` counts writes that did not land (they are reported). */
  invalidate(hashes: readonly string[], inv: Invalidation): Promise<{ via: InvalidationPath; failed: number }>;
}

export class RecordClock implements TagClock {
  private readonly memo = new Map<string, { record: TagRecord | null; at: number }>();
  /** Hashes being read, and since when (the handler's clock): a read older than STUCK_MS was cut off with its request. */
  private readonly refreshing = new Map<string, number>();
  private readonly flights = new Flights<string>(JOIN_MS);

  constructor(
    private readonly records: KVRecords,
    private readonly deps: ClockDeps,
  ) {}

  prepare(): undefined {
    return undefined;
  }

  /** What the tags' records say about an entry generated at `m`. Throws when an unseen tag cannot be read. */
  async state(hashes: readonly string[], m: number, now: number): Promise<Lifespan> {
    await this.ensure(hashes);
    const due = hashes.filter(
      (h) =>
        !(now - (this.refreshing.get(h) ?? Number.NEGATIVE_INFINITY) < STUCK_MS) &&
        (this.memo.get(h)?.at ?? 0) + this.deps.refreshMs <= now,
    );
    if (due.length) this.deps.background(this.load(due).catch(this.deps.failed));
    let state: Lifespan = "fresh";
    for (const hash of hashes) {
      const record = this.memo.get(hash)?.record;
      if (record) state = worse(state, recordState(record, m, now));
    }
    return state;
  }

  /** Writes an invalidation to the tags' records; it applies in this isolate at once, whatever KV does. */
  async invalidate(hashes: readonly string[], inv: Invalidation): Promise<{ via: "kv"; failed: number; records: Map<string, TagRecord> }> {
    const result = await this.records.invalidate(hashes, inv, (h) => this.memo.get(h)?.record ?? undefined);
    for (const [hash, record] of result.records) this.remember(hash, record, this.memo.get(hash)?.at ?? this.deps.now());
    return { via: "kv", ...result };
  }

  /** Merges a record this isolate learned into memory. */
  remember(hash: string, record: TagRecord | null, at: number): void {
    const known = this.memo.get(hash)?.record;
    this.memo.delete(hash);
    this.memo.set(hash, { record: record || known ? mergeRecords(known ?? undefined, record ?? undefined) : null, at });
    if (this.memo.size > MAX_MEMO) this.memo.delete(this.memo.keys().next().value!);
  }

  /** Records this colo's isolates read recently (free: the Cache API). */
  private async fromColo(hashes: readonly string[]): Promise<Map<string, TagRecord | null>> {
    const out = new Map<string, TagRecord | null>();
    const colo = this.deps.colo;
    if (!colo) return out;
    const found = await Promise.all(hashes.map((h) => colo.get(`tag/${h}`).catch(() => undefined)));
    found.forEach((bytes, i) => {
      if (!bytes) return;
      const text = new TextDecoder().decode(bytes);
      if (text === "none") out.set(hashes[i]!, null);
      else {
        const record = parseStored(text);
        if (record) out.set(hashes[i]!, record);
      }
    });
    return out;
  }

  private async toColo(records: Map<string, TagRecord | null>): Promise<void> {
    const colo = this.deps.colo;
    if (!colo) return;
    const encoder = new TextEncoder();
    await Promise.all(
      [...records].map(([hash, record]) =>
        colo.put(`tag/${hash}`, encoder.encode(record ? JSON.stringify(record) : "none")).catch(() => {}),
      ),
    );
  }

  /** Makes every hash known: joins reads in flight for some, reads the rest (and any a join left unknown). */
  private async ensure(hashes: readonly string[]): Promise<void> {
    const unseen = hashes.filter((h) => !this.memo.has(h));
    if (!unseen.length) return;
    const { wait, uncovered } = this.flights.cover(unseen);
    await Promise.all([uncovered.length ? this.load(uncovered) : undefined, wait]);
    const still = unseen.filter((h) => !this.memo.has(h));
    if (still.length) await this.load(still);
  }

  private load(hashes: readonly string[]): Promise<void> {
    const work = this.read(hashes);
    this.flights.start(hashes, work);
    return work;
  }

  private async read(hashes: readonly string[]): Promise<void> {
    const since = this.deps.now();
    for (const h of hashes) this.refreshing.set(h, since);
    try {
      const read = await this.fromColo(hashes);
      const missing = hashes.filter((h) => !read.has(h));
      if (missing.length) {
        const fromKV = await this.records.read(missing);
        await this.toColo(fromKV);
        for (const [hash, record] of fromKV) read.set(hash, record);
      }
      const at = this.deps.now();
      for (const [hash, record] of read) this.remember(hash, record, at);
    } finally {
      for (const h of hashes) if (this.refreshing.get(h) === since) this.refreshing.delete(h);
    }
  }
}

function parseStored(text: string): TagRecord | undefined {
  try {
    return parseRecord(JSON.parse(text));
  } catch {
    return undefined;
  }
}
