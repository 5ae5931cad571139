/**
 * The tag clock with a coordinator: invalidations go to the coordinator
 * Durable Object; reads check the snapshot it publishes, kept in three tiers:
 *
 *   1. this isolate's memory — re-read in the background after `refreshMs`,
 *      so a hit in a warm isolate never waits for it;
 *   2. the colo's Cache API (free) for `coloSeconds` — a fresh isolate in a
 *      data centre that served recently pays no KV read for it;
 *   3. KV (one billed read, with KV's own `cacheTtl`).
 *
 * A tag the snapshot only knows as folded into its bucket table ("maybe
 * invalidated", for old invalidations) is confirmed against the tag's own
 * record in KV, read in bulk and memoized: at most a read, never a needless
 * regeneration. Until the coordinator has published a complete snapshot (or
 * when it cannot be read), per-tag records are checked for every tag, so
 * nothing written by a KV-only past or a fallback is missed.
 *
 * When the coordinator cannot be reached, an invalidation falls back to the
 * per-tag records and the pending list the coordinator polls, and is reported.
 */
import { EdgeIsrCacheError } from "../errors.js";
import type { Lifespan } from "../metadata.js";
import type { KVNamespaceLike } from "../types.js";
import type { CoordinatorClient } from "../coordinator/protocol.js";
import type { ColoCache } from "./colo-cache.js";
import { Flights } from "./flights.js";
import type { KVRecords } from "./kv-records.js";
import { type Invalidation, type TagRecord, applyInvalidation, recordState, worse } from "./record.js";
import type { ClockDeps, InvalidationPath, RecordClock, TagClock } from "./record-clock.js";
import { type Snapshot, compareSnapshots, decodeSnapshot, snapshotVerdict } from "./snapshot.js";

/**
 * A folded (bucket) invalidation this recent is taken at its word; older ones
 * are confirmed against the tag's record in KV, which has reached every
 * location by then (KV's ~60 s) and been re-read by a memoizing isolate (30 s).
 */
const CERTAIN_WITHIN_MS = 120_000;
/** After a failed snapshot read, the next try waits this long (ms). */
const RETRY_MS = 1000;
/** Longest a request waits for another request's read of the snapshot (ms). */
const JOIN_MS = 2_000;
/** An isolate that finds no snapshot asks the coordinator to publish one at most this often (ms). */
const NUDGE_MS = 60_000;
/** A background refresh older than this is taken as lost (its request ended without waitUntil), ms. */
const STUCK_MS = 10_000;
/** This isolate's own invalidations are kept beside the snapshot this long (ms), in case it lags. */
const OVERLAY_MS = 10 * 60_000;

export interface SnapshotClockDeps extends ClockDeps {
  kv: KVNamespaceLike;
  snapshotKey: string;
  /** KV `cacheTtl` for the snapshot read, seconds. */
  cacheTtl: number;
  coordinator: CoordinatorClient;
  colo: ColoCache;
  records: RecordClock;
  kvRecords: KVRecords;
  report: (error: EdgeIsrCacheError) => void;
}

export class SnapshotClock implements TagClock {
  private snapshot: Snapshot | undefined;
  /** When the snapshot was last read (injected clock), and when a read last failed (real time). */
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private failedAt = Number.NEGATIVE_INFINITY;
  private nudgedAt = Number.NEGATIVE_INFINITY;
  /** Whether this isolate has woken the coordinator (once per isolate, in the background). */
  private woken = false;
  /** When the background refresh in flight started (the handler's clock), or undefined. */
  private refreshingSince: number | undefined;
  /** No snapshot in KV yet: the coordinator has not published (check per-tag records). */
  private none = false;
  private readonly overlay = new Map<string, { record: TagRecord; at: number }>();
  /** A cold isolate's concurrent requests share one read of the snapshot. */
  private readonly flights = new Flights<"snapshot">(JOIN_MS);

  constructor(private readonly deps: SnapshotClockDeps) {}

  /**
   * Called before an entry is read: a cold isolate starts reading the snapshot
   * beside the entry (the returned promise, for this request only); a warm one
   * refreshes it in the background when it is due.
   */
  prepare(now: number): Promise<void> | undefined {
    if (!this.snapshot && !this.none) return Date.now() - this.failedAt < RETRY_MS ? undefined : this.cold();
    // A refresh cut off with the request that started it never settles: after STUCK_MS another may start.
    const inFlight = this.refreshingSince !== undefined && now - this.refreshingSince < STUCK_MS;
    if (!inFlight && now - this.fetchedAt >= this.deps.refreshMs) {
      const since = now;
      this.refreshingSince = since;
      this.deps.background(
        this.load()
          .catch(this.deps.failed)
          .finally(() => {
            if (this.refreshingSince === since) this.refreshingSince = undefined;
          }),
      );
    }
    return undefined;
  }

  async state(hashes: readonly string[], m: number, now: number): Promise<Lifespan> {
    if (!this.snapshot && !this.none && Date.now() - this.failedAt >= RETRY_MS) await this.cold().catch(() => {}); // reported below
    let state: Lifespan = "fresh";
    for (const hash of hashes) {
      const own = this.overlay.get(hash);
      if (own) state = worse(state, recordState(own.record, m, now));
    }
    let unsure: string[] = [];
    if (this.snapshot) {
      const verdict = snapshotVerdict(this.snapshot, hashes, m, now, CERTAIN_WITHIN_MS);
      state = worse(state, verdict.state);
      unsure = verdict.unsure;
    } else if (!this.none) {
      // Never read and unreadable now: the coordinator's invalidations are unknown, so err towards stale.
      throw new EdgeIsrCacheError("ERR_CLOCK_READ", "the tag clock snapshot could not be read; the entry is served as stale");
    }
    if (!this.snapshot?.complete) state = worse(state, await this.deps.records.state(hashes, m, now));
    else if (unsure.length && state !== "expired") state = worse(state, await this.deps.records.state(unsure, m, now));
    return state;
  }

  /** Sends an invalidation to the coordinator; on failure writes it to KV for the coordinator to pick up. */
  async invalidate(hashes: readonly string[], inv: Invalidation): Promise<{ via: InvalidationPath; failed: number }> {
    const now = this.deps.now();
    for (const hash of hashes) this.remember(hash, inv, now);
    try {
      const bytes = await this.deps.coordinator.invalidate(hashes, inv);
      const snapshot = decodeSnapshot(bytes);
      this.adopt(snapshot, now);
      // Other isolates of this colo read it from here before KV has it (unless a newer one got there first).
      await this.fillColo(bytes, snapshot);
      return { via: "coordinator", failed: 0 };
    } catch (error) {
      this.deps.report(
        error instanceof EdgeIsrCacheError && error.code === "ERR_COORDINATOR"
          ? new EdgeIsrCacheError(
              "ERR_COORDINATOR",
              `${error.message.replace(/^\[edge-isr\] ERR_COORDINATOR: /, "")}; the invalidation was written to KV for the coordinator to pick up within a minute`,
              { cause: error },
            )
          : new EdgeIsrCacheError(
              "ERR_COORDINATOR",
              `the coordinator's snapshot could not be used (${String(error)}); the invalidation was written to KV`,
              { cause: error },
            ),
      );
      const { records, failed } = await this.deps.records.invalidate(hashes, inv);
      const listed = await this.deps.kvRecords.addPending(records);
      return { via: "kv", failed: failed + (listed ? 0 : 1) };
    }
  }

  private remember(hash: string, inv: Invalidation, now: number): void {
    const record = applyInvalidation(this.overlay.get(hash)?.record, inv);
    this.overlay.delete(hash);
    this.overlay.set(hash, { record, at: now });
    for (const [h, o] of this.overlay) {
      if (now - o.at < OVERLAY_MS && this.overlay.size <= 4096) break;
      this.overlay.delete(h);
    }
  }

  private adopt(snapshot: Snapshot, now: number): void {
    if (!this.snapshot || compareSnapshots(snapshot, this.snapshot) >= 0) this.snapshot = snapshot;
    this.none = false;
    this.fetchedAt = now;
  }

  /** The first read of a cold isolate, shared by the requests that arrive meanwhile. */
  private cold(): Promise<void> {
    const { wait, uncovered } = this.flights.cover(["snapshot"]);
    if (!uncovered.length) return wait;
    const work = this.load();
    this.flights.start(["snapshot"], work);
    return work;
  }

  /** Reads the snapshot: the colo's cache first, then KV (and then fills the colo's cache). */
  private async load(): Promise<void> {
    const now = this.deps.now();
    try {
      const cached = await this.deps.colo.get("clock").catch(() => undefined);
      if (cached) return this.adopt(decodeSnapshot(cached), now);
      const read = await this.deps.kv.getWithMetadata(this.deps.snapshotKey, { type: "arrayBuffer", cacheTtl: this.deps.cacheTtl });
      if (!read.value) {
        this.none = !this.snapshot;
        this.fetchedAt = now;
        if (Date.now() - this.nudgedAt >= NUDGE_MS) {
          // Nothing published yet (no invalidation so far): ask for a snapshot, so readers stop checking per-tag records.
          this.nudgedAt = Date.now();
          this.deps.background(
            this.deps.coordinator.publish().then((bytes) => this.adopt(decodeSnapshot(bytes), this.deps.now()), this.deps.failed),
          );
        }
        return;
      }
      const bytes = new Uint8Array(read.value);
      const snapshot = decodeSnapshot(bytes);
      this.adopt(snapshot, now);
      if (!this.woken) {
        this.woken = true;
        this.deps.background(this.deps.coordinator.wake().catch(this.deps.failed));
      }
      await this.fillColo(bytes, snapshot);
    } catch (error) {
      this.failedAt = Date.now();
      throw new EdgeIsrCacheError(
        "ERR_CLOCK_READ",
        `reading the tag clock snapshot failed: ${String((error as Error)?.message ?? error)}`,
        { cause: error },
      );
    }
  }

  /**
   * Puts a snapshot into the colo's cache (a local write: the next fresh
   * isolate here pays no KV read), unless one at least as new got there first:
   * KV's edge copy may lag what an invalidating isolate put there, and isolates
   * invalidating at once get their answers in any order (the sequence orders
   * snapshots built in the same millisecond).
   */
  private async fillColo(bytes: Uint8Array, snapshot: Snapshot): Promise<void> {
    try {
      const there = await this.deps.colo.get("clock");
      if (there && compareSnapshots(decodeSnapshot(there), snapshot) >= 0) return;
      await this.deps.colo.put("clock", bytes);
    } catch {
      // The colo's cache is an optimization only.
    }
  }
}
