/**
 * The L1: short-lived copies of entries in the colo's Cache API, in front of
 * KV. A copy is the stored bytes plus the entry's KV metadata, so the handler
 * decides it exactly as it decides a KV read — its own lifespan, then the tag
 * clock — and an invalidated entry is never served fresh from here.
 *
 * A copy lives `seconds` (on the handler's clock and in the Cache API) and
 * never past its entry's own expiry; the handler's own writes replace it once
 * they land in KV, so a regeneration shows at once in its data centre. What an
 * L1 adds to KV's own bounds: a version written in another data centre (or
 * deleted there by a tool) shows here up to `seconds` later. Invalidations are
 * not delayed: they live in the tag clock, which every copy is checked against.
 *
 * Copies are keyed under a scope unique to the namespace (the coordinator's
 * id, or the `l1.scope` option): two namespaces sharing a zone never mix.
 */
import { parseMetadata, type EntryMetadata } from "./metadata.js";
import type { ColoCache } from "./clock/colo-cache.js";

/** Header holding the entry's KV metadata (JSON, ≤ 1 KiB). */
const METADATA = "x-edge-isr-metadata";

export interface L1Copy {
  bytes: Uint8Array<ArrayBuffer>;
  md: EntryMetadata;
}

export class EntryL1 {
  constructor(private readonly colo: ColoCache) {}

  /** The copy of `kvKey`, unless there is none, it is past its time, or the Cache API failed or was slow. */
  async get(kvKey: string): Promise<L1Copy | undefined> {
    const copy = await this.colo.read(keyOf(kvKey));
    if (!copy) return undefined;
    const md = parseMetadata(parseJSON(copy.headers.get(METADATA)));
    return md ? { bytes: copy.bytes, md } : undefined;
  }

  /**
   * Stores a copy of what KV answered, for at most `seconds` and never past the
   * entry's expiry — unless the colo already holds a copy at least as new (a
   * write of this data centre may have landed while KV's answer was on its way).
   */
  async fill(kvKey: string, bytes: Uint8Array, md: EntryMetadata, now: number): Promise<void> {
    const ttl = this.ttl(md, now);
    if (ttl < 1) return;
    const there = await this.get(kvKey);
    if (there && there.md.m >= md.m) return;
    await this.colo.write(keyOf(kvKey), bytes, ttl, { [METADATA]: JSON.stringify(md) });
  }

  /** Replaces the copy with what this isolate just wrote to KV. */
  async replace(kvKey: string, bytes: Uint8Array, md: EntryMetadata, now: number): Promise<void> {
    const ttl = this.ttl(md, now);
    if (ttl < 1) return this.colo.delete(keyOf(kvKey));
    await this.colo.write(keyOf(kvKey), bytes, ttl, { [METADATA]: JSON.stringify(md) });
  }

  /** Seconds a copy may live: the L1's own, cut to the entry's expiry (its `expire`, or a pre-clock expire mark). */
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
