/**
 * Races: four isolates regenerating entries, invalidating tags (every Next 16
 * form) and reading, all at once, while half of all KV reads lag like a
 * replica up to 60 s behind (with the coordinator, through the L1 as well). The property, checked on every read: an entry
 * generated at or before its tag's invalidation is never answered fresh —
 * at once in the isolate that invalidated, and everywhere once the stated
 * bound has passed — and never answered at all once its expiry is due.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { KVCacheHandler, type KVCacheHandlerOptions } from "../../packages/kv-cache-handler/src/index.js";
import { prng } from "../../benchmarks/shared/prng.js";
import { manualClock } from "../helpers/clock.js";
import { countingKV, lagReads } from "../helpers/counting-kv.js";

const KEYS = 12;
const TAGS = ["t0", "t1", "t2", "t3"];
const tagsOf = (k: number) => [TAGS[k % 4]!, TAGS[(k + 1) % 4]!];
const page = (v: number) => ({
  kind: "APP_PAGE" as const,
  html: `<p>${v}</p>`,
  rscData: undefined,
  headers: {},
  postponed: undefined,
  status: 200,
});

interface Inv {
  tag: string;
  at: number;
  expireAt: number | undefined;
  by: number;
  /** Order in which the call returned: a read that started before it may not see it yet. */
  done: number;
}

describe.each([
  // KV-only: KV's lag (60 s) plus the isolate's refresh interval (30 s).
  { name: "KV-only tag clock", options: {} as KVCacheHandlerOptions, boundMs: 90_000 + 1000 },
  // Coordinator (the L1 on, as by default: every read may come from a colo copy, checked against the clock):
  // refresh 5 s + the colo's copy 15 s + KV's cacheTtl 30 s + KV's propagation 60 s.
  {
    name: "coordinator, L1 on",
    options: { coordinator: env.EDGE_ISR_COORDINATOR, binding: "CACHE" } as KVCacheHandlerOptions,
    boundMs: 110_000 + 1000,
  },
])("concurrent isolates with lagging reads ($name)", ({ options, boundMs }) => {
  it("never answers fresh an entry generated before its tag's invalidation, past the bound", async () => {
    const random = prng(options.coordinator ? 7 : 3);
    const clock = manualClock();
    const counting = countingKV(env.CACHE, { now: clock.now });
    lagReads(counting, { maxLagMs: 60_000, p: 0.5, now: clock.now, random });
    const prefix = `race-${crypto.randomUUID().slice(0, 8)}/`;
    const isolates = Array.from(
      { length: 4 },
      () => new KVCacheHandler(counting.kv, { prefix, now: clock.now, sleep: clock.sleep, logger: { warn() {}, error() {} }, ...options }),
    );
    const invalidations: Inv[] = [];
    const violations: string[] = [];
    let version = 0;
    let seq = 0;
    let reads = 0;
    let notFresh = 0;

    for (let k = 0; k < KEYS; k++)
      await isolates[0]!.set(`/k/${k}`, page(version++), { cacheControl: { revalidate: false }, tags: tagsOf(k) });

    const action = async () => {
      const who = Math.floor(random() * isolates.length);
      const isolate = isolates[who]!;
      const roll = random();
      if (roll < 0.25) {
        const k = Math.floor(random() * KEYS);
        await counting.run(() => isolate.set(`/k/${k}`, page(version++), { cacheControl: { revalidate: false }, tags: tagsOf(k) }));
      } else if (roll < 0.4) {
        const tag = TAGS[Math.floor(random() * TAGS.length)]!;
        const form = random();
        const durations = form < 0.4 ? undefined : form < 0.7 ? {} : { expire: Math.floor(random() * 120) };
        const at = clock.now();
        await counting.run(() => isolate.invalidate(tag, durations));
        invalidations.push({
          tag,
          at,
          expireAt: durations === undefined ? at : durations.expire !== undefined ? at + durations.expire * 1000 : undefined,
          by: who,
          done: seq++,
        });
      } else {
        const k = Math.floor(random() * KEYS);
        const now = clock.now();
        const started = seq;
        const { result: hit } = await counting.run(() => isolate.get(`/k/${k}`));
        reads++;
        if (!hit) return;
        const state = hit.cacheState ?? "fresh";
        if (state !== "fresh") notFresh++;
        for (const inv of invalidations) {
          if (!tagsOf(k).includes(inv.tag) || hit.lastModified > inv.at || inv.done >= started) continue;
          const visible = inv.by === who || now >= inv.at + boundMs;
          if (!visible) continue;
          if (state === "fresh")
            violations.push(
              `/k/${k} (generated ${hit.lastModified}) fresh at ${now} after ${inv.tag} invalidated at ${inv.at} by isolate ${inv.by}, read by ${who}`,
            );
          if (inv.expireAt !== undefined && now >= inv.expireAt + (inv.by === who ? 0 : boundMs))
            violations.push(`/k/${k} served at ${now} after ${inv.tag} expired at ${inv.expireAt}`);
        }
      }
    };

    for (let step = 0; step < 300; step++) {
      clock.advance(Math.floor(random() * 4000));
      await Promise.all([action(), action(), action()]);
    }
    expect(violations.slice(0, 5)).toEqual([]);
    // The run exercised what it claims to: many reads, invalidations of every form, stale and expired answers.
    expect(reads).toBeGreaterThan(300);
    expect(invalidations.length).toBeGreaterThan(80);
    expect(notFresh).toBeGreaterThan(20);
    expect(counting.ambient.refused).toBe(0);
    if (options.coordinator) {
      // The L1 answered many of those reads: fewer entry reads reached KV than the handler served.
      const entryReads = counting.log.filter((line) => line.startsWith(`reads ${prefix}e:`)).length;
      expect(entryReads).toBeLessThan(reads * 0.8);
    }
  }, 120_000);
});
