/**
 * The coordinator Durable Object and the handler's coordinator path, in
 * workerd with Miniflare's real Durable Objects (SQLite), KV and Cache API:
 * no lost update when isolates invalidate at once, at most one snapshot write
 * per second, the colo's cache as a free tier, and what happens when the
 * coordinator cannot be reached or a KV-only past left per-tag records.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { countingKV } from "../../../test/helpers/counting-kv.js";
import { manualClock } from "../../../test/helpers/clock.js";
import { KVCacheHandler, type KVCacheHandlerOptions, SNAPSHOT_KEY, decodeSnapshot, invalidateInKV, tagHash } from "../src/index.js";
import { coordinatorName } from "../src/coordinator/protocol.js";
import { buildSnapshot, emptyBuckets } from "../src/clock/snapshot.js";
import { isolateFactory, page } from "./isolates.js";

const cc = { cacheControl: { revalidate: 3600 } };

function setup(extra: KVCacheHandlerOptions = {}) {
  const prefix = `co-${crypto.randomUUID().slice(0, 8)}/`;
  const clock = manualClock();
  const counting = countingKV(env.CACHE, { now: clock.now });
  const errors: string[] = [];
  // These cases count the clock's KV reads; the L1 in front of entries is l1.test.ts's.
  const make = isolateFactory({ prefix, clock, counting, errors }, { l1: false, ...extra });
  const stub = () => env.EDGE_ISR_COORDINATOR.get(env.EDGE_ISR_COORDINATOR.idFromName(coordinatorName("CACHE", prefix)));
  const stats = async () =>
    (await stub().fetch("https://coordinator/stats")).json<{
      rows: number;
      complete: boolean;
      publishes: number;
      dirty: boolean;
      minGapMs: number | null;
    }>();
  /** Waits until the coordinator has written its latest snapshot to KV (a deferred write lands within a second). */
  const settled = async () => {
    for (let i = 0; i < 60 && (await stats()).dirty; i++) await new Promise((r) => setTimeout(r, 50));
  };
  const published = async () => {
    const bytes = await env.CACHE.get(prefix + SNAPSHOT_KEY, "arrayBuffer");
    return bytes ? decodeSnapshot(bytes) : undefined;
  };
  const clearColo = async () => {
    const cache = await caches.open("edge-isr");
    await cache.delete(
      `https://edge-isr.internal/${env.EDGE_ISR_COORDINATOR.idFromName(coordinatorName("CACHE", prefix)).toString()}/clock`,
    );
  };
  return { prefix, clock, counting, errors, make, stub, stats, settled, published, clearColo };
}

/** A coordinator binding that fails on demand: the real namespace underneath. */
function failing(namespace: DurableObjectNamespace, fail: () => boolean) {
  return {
    idFromName: (name: string) => namespace.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = namespace.get(id);
      return {
        fetch: (input: string, init?: RequestInit) =>
          fail() ? Promise.reject(new Error("Durable Object is overloaded")) : stub.fetch(input, init),
      };
    },
  };
}

describe("the coordinator", () => {
  it("loses no invalidation when five isolates invalidate at once", async () => {
    const t = setup();
    const writer = t.make();
    const tags = Array.from({ length: 100 }, (_, i) => `tag:${i}`);
    for (const tag of tags) await writer.set(`/p/${tag}`, page(), { ...cc, tags: [tag] });
    t.clock.advance(1000);
    const isolates = Array.from({ length: 5 }, () => t.make());
    const results = await Promise.all(isolates.map((h, i) => h.invalidate(tags.slice(i * 20, i * 20 + 20))));
    expect(results.every((r) => r.via === "coordinator" && r.failed === 0 && !r.degraded)).toBe(true);
    expect((await t.stats()).rows).toBe(100);
    const reader = t.make();
    for (const tag of tags) expect(await reader.get(`/p/${tag}`), tag).toBeNull();
  });

  it("writes the snapshot to KV at most once a second, however many invalidations arrive", async () => {
    const t = setup();
    const h = t.make();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => h.invalidate(`burst:${i}`)));
    expect(results.every((r) => r.via === "coordinator")).toBe(true); // each answered with the clock that includes it
    await t.settled();
    const after = await t.stats();
    expect(after.rows).toBe(20);
    expect(after.publishes).toBeGreaterThanOrEqual(2); // the first at once, the rest by the alarm
    expect(after.publishes).toBeLessThan(20); // coalesced
    expect(after.minGapMs).toBeGreaterThanOrEqual(1000); // never two writes of the key within a second
    expect((await t.published())!.exact.size).toBe(20);
  });

  it("a fresh isolate in a colo that served recently pays one read (the entry); a cold colo two", async () => {
    const t = setup();
    const h = t.make();
    await h.set("/cost", page(), { ...cc, tags: ["a", "b", "c"] });
    await h.invalidate("unrelated"); // published, and put in this colo's cache
    t.counting.reset();
    expect((await t.make().get("/cost"))?.value?.kind).toBe("APP_PAGE");
    expect(t.counting.counts).toEqual({ reads: 1, writes: 0, deletes: 0, lists: 0 });
    await t.clearColo();
    t.counting.reset();
    expect((await t.make().get("/cost"))?.value?.kind).toBe("APP_PAGE");
    expect(t.counting.counts).toEqual({ reads: 2, writes: 0, deletes: 0, lists: 0 });
    // …and the read refilled the colo's cache: the next fresh isolate pays the entry alone.
    t.counting.reset();
    await t.make().get("/cost");
    expect(t.counting.counts.reads).toBe(1);
  });

  it("a busy isolate re-reads the snapshot in the background, mostly from the colo's cache: hits stay one read", async () => {
    const t = setup();
    const h = t.make();
    await h.set("/busy", page(), { ...cc, tags: ["a"] });
    await h.invalidate("unrelated");
    const reader = t.make();
    await reader.get("/busy");
    t.counting.reset();
    for (let i = 0; i < 300; i++) {
      t.clock.advance(100); // 30 s of traffic: six background refreshes
      expect((await reader.get("/busy"))?.value).not.toBeNull();
    }
    // 300 entry reads; the colo's copy of the snapshot lives 15 s, so at most two of the six refreshes read KV.
    const { reads, ...others } = t.counting.counts;
    expect(others).toEqual({ writes: 0, deletes: 0, lists: 0 });
    expect(reads).toBeGreaterThanOrEqual(300);
    expect(reads).toBeLessThanOrEqual(302);
  });

  it("an invalidation in another isolate of the colo is seen within the refresh interval, through the colo's cache", async () => {
    const t = setup();
    const h = t.make();
    await h.set("/seen", page(), { ...cc, tags: ["news"] });
    await h.invalidate("unrelated");
    const reader = t.make();
    expect(await reader.get("/seen")).not.toBeNull();
    t.clock.advance(1000);
    await t.make().invalidate("news");
    // Within the refresh interval the reader may still answer from its copy; after it, never.
    t.clock.advance(5_000);
    await reader.get("/seen"); // starts the background re-read
    await new Promise((r) => setTimeout(r, 50));
    expect(await reader.get("/seen")).toBeNull();
  });

  it("when the coordinator fails, the invalidation goes to KV, applies in this isolate, is reported, and the coordinator picks it up", async () => {
    const t = setup();
    let down = false;
    const flaky = failing(env.EDGE_ISR_COORDINATOR, () => down);
    const h = t.make({ coordinator: flaky });
    await h.set("/down", page(), { ...cc, tags: ["outage"] });
    await h.invalidate("unrelated");
    t.clock.advance(1000);
    down = true;
    const result = await h.invalidate("outage");
    expect(result).toMatchObject({ via: "kv", failed: 0, degraded: true });
    expect(t.errors.some((e) => e.startsWith("ERR_COORDINATOR"))).toBe(true);
    expect(await h.get("/down")).toBeNull(); // at once, here
    // The coordinator, back, reads the pending list (its alarm does this once a minute).
    down = false;
    await t.stub().fetch("https://coordinator/poll", { method: "POST" });
    await t.settled();
    await t.clearColo();
    expect(await t.make().get("/down")).toBeNull();
    expect((await t.published())!.exact.size).toBe(2);
  });

  it("the endpoint's caller is told to retry while the coordinator is down (degraded)", async () => {
    const t = setup();
    const h = t.make({ coordinator: failing(env.EDGE_ISR_COORDINATOR, () => true) });
    const result = await h.invalidate(["a", "b"]);
    expect(result.degraded).toBe(true);
    expect(result.failed).toBe(0);
  });

  it("a wrong binding name is reported naming it, and invalidations still land in KV", async () => {
    const t = setup({ binding: "NOPE" });
    const h = t.make();
    await h.set("/wrong", page(), { ...cc, tags: ["w"] });
    t.clock.advance(1000);
    const result = await h.invalidate("w");
    expect(result.degraded).toBe(true);
    expect(t.errors.join("\n")).toMatch(/ERR_COORDINATOR.*binding "NOPE" is not a KV namespace/);
    expect(await h.get("/wrong")).toBeNull();
  });

  it("absorbs the per-tag records a KV-only past left behind; readers check them until it has", async () => {
    const t = setup();
    const kvOnly = t.make({ coordinator: undefined }); // an isolate of a KV-only past
    await kvOnly.set("/old", page(), { ...cc, tags: ["legacy"] });
    t.clock.advance(1000);
    await kvOnly.invalidate("legacy");
    // A coordinator-configured isolate before any snapshot exists: checks the per-tag record.
    expect(await t.make().get("/old")).toBeNull();
    // The first invalidation through the coordinator absorbs the record into its clock.
    await t.make().invalidate("unrelated");
    await t.settled();
    const snapshot = (await t.published())!;
    expect(snapshot.complete).toBe(true);
    expect(snapshot.exact.size).toBe(2);
    t.counting.reset();
    expect(await t.make().get("/old")).toBeNull();
    expect(t.counting.counts.reads).toBe(1); // the snapshot says it all: no per-tag read
  });

  it("picks up what the CLI wrote to KV directly (per-tag records and the pending list)", async () => {
    const t = setup();
    const h = t.make();
    await h.set("/cli", page(), { ...cc, tags: ["from-cli"] });
    await h.invalidate("unrelated");
    t.clock.advance(1000);
    await invalidateInKV(env.CACHE, ["from-cli"], { prefix: t.prefix, now: t.clock.now });
    await t.stub().fetch("https://coordinator/poll", { method: "POST" });
    await t.settled();
    await t.clearColo();
    expect(await t.make().get("/cli")).toBeNull();
  });

  it("a coordinator that never ran here, beside a snapshot another runtime published, is woken by the first reader", async () => {
    // As after `edge-isr prerender` (its own Miniflare published the clock) and a restart of the local server:
    // KV holds a complete snapshot, this runtime's coordinator has never run, and `edge-isr purge` writes to KV.
    const t = setup();
    const kvOnly = t.make({ coordinator: undefined }); // an isolate of a KV-only past
    await kvOnly.set("/woken", page(), { ...cc, tags: ["purged"] });
    const elsewhere = buildSnapshot({
      records: [],
      buckets: emptyBuckets(),
      publishedAt: t.clock.now(),
      absorbedAt: t.clock.now(),
      complete: true,
    });
    await env.CACHE.put(t.prefix + SNAPSHOT_KEY, elsewhere.bytes);
    t.clock.advance(1000);
    await invalidateInKV(env.CACHE, ["purged"], { prefix: t.prefix, now: t.clock.now });
    expect((await t.stats()).rows).toBe(0);
    await t.make().get("/woken"); // reads the snapshot from KV, and wakes the coordinator in the background
    for (let i = 0; i < 100 && (await t.stats()).rows === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await t.stats()).rows, "the coordinator absorbed the record purge wrote").toBe(1);
    await t.settled();
    await t.clearColo();
    expect(await t.make().get("/woken")).toBeNull();
  });

  it("a background refresh cut off with its request (never settling) does not freeze the isolate's clock", async () => {
    // In workerd an I/O promise dies with the request that started it, unless ctx.waitUntil covers it.
    const t = setup();
    let hang = false;
    const kv = new Proxy(t.counting.kv, {
      get(target, name, receiver) {
        if (name !== "getWithMetadata") return Reflect.get(target, name, receiver);
        return (key: string, options?: unknown) =>
          hang && key.endsWith(SNAPSHOT_KEY) ? new Promise(() => {}) : target.getWithMetadata(key, options as never);
      },
    });
    const reader = new KVCacheHandler(kv, {
      prefix: t.prefix,
      now: t.clock.now,
      sleep: t.clock.sleep,
      coordinator: env.EDGE_ISR_COORDINATOR,
      binding: "CACHE",
      logger: { warn() {}, error() {} },
    });
    await reader.set("/frozen", page(), { ...cc, tags: ["thaw"] });
    await t.make().invalidate("unrelated");
    await t.settled();
    await t.clearColo();
    expect(await reader.get("/frozen")).not.toBeNull(); // the snapshot read once
    hang = true;
    t.clock.advance(6_000);
    await t.clearColo();
    expect(await reader.get("/frozen")).not.toBeNull(); // starts a refresh that never settles
    t.clock.advance(1_000);
    await t.make().invalidate("thaw"); // another isolate
    await t.settled();
    hang = false;
    t.clock.advance(10_000); // past STUCK_MS: the lost refresh no longer blocks the next
    await t.clearColo();
    await reader.get("/frozen"); // starts a new refresh in the background
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 20));
      if ((await reader.get("/frozen")) === null) break;
    }
    expect(await reader.get("/frozen")).toBeNull();
  });

  it("an isolate that finds no snapshot asks the coordinator to publish one", async () => {
    const t = setup();
    const h = t.make();
    await h.set("/nudge", page(), { ...cc, tags: ["n"] });
    expect(await t.published()).toBeUndefined();
    await h.get("/nudge"); // no snapshot yet: per-tag records are checked, and a publish is asked for
    for (let i = 0; i < 50 && !(await t.published()); i++) await new Promise((r) => setTimeout(r, 20));
    expect((await t.published())?.complete).toBe(true);
  });

  it("refuses malformed messages with 400 naming the field", async () => {
    const t = setup();
    const bad = await t.stub().fetch("https://coordinator/invalidate", {
      method: "POST",
      body: JSON.stringify({ binding: "CACHE", prefix: "", hashes: ["x"], at: 1, expireAt: null }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("6-character base64url");
  });
});

describe("the snapshot's folded invalidations", () => {
  it("an invalidation folded out of the snapshot's exact records is confirmed against the tag's record: still a miss", async () => {
    const t = setup();
    const h = t.make();
    await h.set("/folded", page(), { ...cc, tags: ["old-news"] });
    await h.set("/untouched", page(), { ...cc, tags: ["evergreen"] });
    t.clock.advance(1000);
    await h.invalidate("old-news");
    // 3,000 later invalidations push it out of the snapshot's exact records (about 2,180 fit in 64 KiB).
    t.clock.advance(1000);
    await h.invalidate(Array.from({ length: 3000 }, (_, i) => `later:${i}`));
    await t.settled();
    const oldHash = await tagHash("old-news");
    const snapshot = (await t.published())!;
    expect(snapshot.exact.has(oldHash)).toBe(false);
    expect(snapshot.exact.size).toBeGreaterThan(2000);
    // Past the window in which a fold is taken at its word, readers confirm against the tag's record.
    t.clock.advance(5 * 60_000);
    for (let i = 0; i < 50 && !(await env.CACHE.get(`${t.prefix}t:${oldHash}`)); i++) await new Promise((r) => setTimeout(r, 50));
    await t.clearColo();
    expect(await t.make().get("/folded")).toBeNull();
    const fresh = await t.make().get("/untouched");
    expect(fresh?.cacheState).toBeUndefined();
  }, 60_000);

  it("the coordinator writes each invalidated tag's record to KV, at most once a second per tag", async () => {
    const t = setup();
    const h = t.make();
    await h.invalidate("twice", {});
    await h.invalidate("twice"); // within the second: its record waits for the alarm
    const key = `${t.prefix}t:${await tagHash("twice")}`;
    for (let i = 0; i < 60; i++) {
      const record = await env.CACHE.get<{ s: number; w: number }>(key, "json");
      if (record && record.w > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const record = await env.CACHE.get<{ s: number; w: number }>(key, "json");
    expect(record?.w).toBeGreaterThan(0); // the second (expiring) invalidation reached KV too
  });
});
