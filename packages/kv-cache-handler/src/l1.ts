/**
 * The L1: short-lived copies of entries in front of KV, in two tiers —
 *
 *   1. this isolate's memory, for `memorySeconds`: a hit costs no I/O at all;
 *   2. the colo's Cache API, for `seconds`: shared by the isolates of a data
 *      centre, a hit costs no billed KV read.
 *
 * A copy is the stored bytes plus the entry's KV metadata, so the handler
 * decides it exactly as it decides a KV read — its own lifespan, then the tag
 * clock — and an invalidated entry is never served fresh from here. A copy in
 * memory is used only while it decides as fresh; anything else (stale,
 * expired, invalidated) reads through to the colo and KV, so a regeneration
 * stored by another isolate is what a stale window shows.
 *
 * No copy outlives its entry's expiry, and a memory copy never outlives the
 * colo copy it came from. The handler's own writes replace both once they land
 * in KV. What the L1 adds to KV's own bounds: a version written in another data
 * centre (or deleted there by a tool) shows here up to `seconds` later, and one
 * written by another isolate of this data centre over a still-fresh entry up
 * to `memorySeconds` later. Invalidations are not delayed: they live in the tag
 * clock, which every copy is checked against.
 *
 * Colo copies are keyed under a scope unique to the namespace (the
 * coordinator's id, or the `l1.scope` option): two namespaces sharing a zone
 * never mix.
 */
import { parseMetadata, type EntryMetadata } from "./metadata.js";
import type { ColoCache } from "./clock/colo-cache.js";
import { SizedLRU } from "./lru.js";
import type { Derived, ReadMemo } from "./memo.js";

/** Header holding the entry's KV metadata (JSON, ≤ 1 KiB). */
const METADATA = "x-edge-isr-metadata";

export interface L1Copy {
  bytes: Uint8Array<ArrayBuffer>;
  md: EntryMetadata;
  /** From this isolate's memory: the handler serves it only while it decides as fresh (else `forget`, read through). */
  memory: boolean;
  /** What was worked out from the bytes (kept with them in this isolate's memo). */
  derived: Derived;
}

interface MemoryCopy {
  bytes: Uint8Array<ArrayBuffer>;
  md: EntryMetadata;
  /** Ms on the handler's clock. */
  until: number;
  derived: Derived;
}

export interface EntryL1Options {
  /** Seconds a copy lives in this isolate's memory (0: no memory tier). */
  memorySeconds: number;
  /** Stored bytes of copies kept in memory. */
  memoryBytes: number;
}

export class EntryL1 {
  private readonly memory: SizedLRU<MemoryCopy>;
  private readonly memoryMs: number;

  constructor(
    private readonly colo: ColoCache,
    /** Where copies read from the colo meet what this isolate already checked of the same bytes. */
    private readonly memo: ReadMemo,
    options: EntryL1Options,
  ) {
    this.memoryMs = options.memorySeconds * 1000;
    this.memory = new SizedLRU(this.memoryMs > 0 ? options.memoryBytes : 0);
  }

  /**
   * The copy of `kvKey`: this isolate's (unless `memory` is false), else the
   * colo's — unless there is none, it is past its time, or the Cache API
   * failed or was slow.
   */
  async get(kvKey: string, now: number, memory = true): Promise<L1Copy | undefined> {
    if (memory) {
      const mine = this.memory.get(kvKey);
      // A length that changed means the buffer was handed off (detached) by a caller: not served again.
      if (mine && mine.until > now && mine.bytes.byteLength === mine.md.z) {
        return { bytes: mine.bytes, md: mine.md, memory: true, derived: mine.derived };
      }
    }
    const copy = await this.readColo(kvKey);
    if (!copy) return undefined;
    const { bytes, derived } = this.memo.adopt(kvKey, copy.bytes, copy.md);
    this.keep(kvKey, bytes, copy.md, derived, Math.min(copy.until, now + this.memoryMs));
    return { bytes, md: copy.md, memory: false, derived };
  }

  /** Drops this isolate's copy (it does not decide as fresh): the next read goes to the colo and KV. */
  forget(kvKey: string): void {
    this.memory.delete(kvKey);
  }

  /** Keeps what KV answered in memory at once (`fillColo`, for the background, keeps it in the colo). */
  keepRead(kvKey: string, bytes: Uint8Array<ArrayBuffer>, md: EntryMetadata, derived: Derived, now: number): void {
    const ttl = this.ttl(md, now);
    if (ttl >= 1) this.keep(kvKey, bytes, md, derived, now + Math.min(ttl * 1000, this.memoryMs));
  }

  /**
   * Copies what KV answered to the colo, for at most `seconds` and never past
   * the entry's expiry — unless the colo already holds a copy at least as new
   * (a write of this data centre may have landed while KV's answer was on its way).
   */
  async fillColo(kvKey: string, bytes: Uint8Array, md: EntryMetadata, now: number): Promise<void> {
    const ttl = this.ttl(md, now);
    if (ttl < 1) return;
    const there = await this.readColo(kvKey);
    if (there && there.md.m >= md.m) return;
    await this.colo.write(keyOf(kvKey), bytes, ttl, { [METADATA]: JSON.stringify(md) });
  }

  /** Replaces both copies with what this isolate just wrote to KV. */
  async replace(kvKey: string, bytes: Uint8Array<ArrayBuffer>, md: EntryMetadata, now: number): Promise<void> {
    const ttl = this.ttl(md, now);
    if (ttl < 1) {
      this.forget(kvKey);
      return this.colo.delete(keyOf(kvKey));
    }
    const known = this.memo.adopt(kvKey, bytes, md);
    this.keep(kvKey, known.bytes, md, known.derived, now + Math.min(ttl * 1000, this.memoryMs));
    await this.colo.write(keyOf(kvKey), bytes, ttl, { [METADATA]: JSON.stringify(md) });
  }

  /** The colo's copy with its metadata, unless missing, past its time, not ours, or the Cache API failed. */
  private async readColo(kvKey: string): Promise<{ bytes: Uint8Array<ArrayBuffer>; md: EntryMetadata; until: number } | undefined> {
    const copy = await this.colo.read(keyOf(kvKey));
    const md = copy && parseMetadata(parseJSON(copy.headers.get(METADATA)));
    return md ? { bytes: copy!.bytes, md, until: copy!.until } : undefined;
  }

  private keep(kvKey: string, bytes: Uint8Array<ArrayBuffer>, md: EntryMetadata, derived: Derived, until: number): void {
    if (this.memoryMs <= 0 || bytes.byteLength !== md.z) return; // `z` also tells a later read the bytes are whole
    this.memory.set(kvKey, { bytes, md, until, derived }, bytes.byteLength);
  }

  /** Seconds a colo copy may live: the L1's own, cut to the entry's expiry (its `expire`, or a pre-clock expire mark). */
  private ttl(md: EntryMetadata, now: number): number {
    let ms = this.colo.seconds * 1000;
    if (md.e !== undefined) ms = Math.min(ms, md.m + md.e * 1000 - now);
    if (md.x !== undefined) ms = Math.min(ms, md.x - now);
    return Math.floor(ms / 1000);
  }
}

/** Entry copies live beside the clock's (`clock`, `tag/…`) under their own path. */
const keyOf = (kvKey: string) => `e/${encodeURIComponent(kvKey)}`;

function parseJSON(text: string | null): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
