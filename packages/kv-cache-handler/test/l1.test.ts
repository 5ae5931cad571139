/**
 * The L1 — copies of entries in an isolate's memory and in the colo's Cache
 * API, in front of KV — inside workerd with Miniflare's real Cache API, KV and
 * coordinator: what a hit costs in KV reads, that a copy is decided exactly as
 * a KV read (never fresh once invalidated, never past `expire`), that a memory
 * copy serves only while fresh, that copies of two namespaces never mix, and
 * that a failing or slow Cache API is a KV read, never an error.
 * (test/scale/races.test.ts runs the L1 under lagging KV reads.)
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { countingKV } from "../../../test/helpers/counting-kv.js";
import { manualClock } from "../../../test/helpers/clock.js";
import { type KVCacheHandlerOptions, kvKeyFor } from "../src/index.js";
import { isolateFactory, page } from "./isolates.js";

const htmlOf = (hit: { value: unknown } | null) => (hit?.value as { html?: string } | null)?.html;

function setup(extra: KVCacheHandlerOptions = {}) {
  const prefix = `l1-${crypto.randomUUID().slice(0, 8)}/`;
  const clock = manualClock();
  const counting = countingKV(env.CACHE, { now: clock.now });
  const errors: string[] = [];
  const background: Promise<unknown>[] = [];
  /** One isolate: its own handler (memory, clock copy), the colo's Cache API shared with the others. */
  const make = isolateFactory({ prefix, clock, counting, errors }, { ctx: { waitUntil: (p) => void background.push(p) }, ...extra });
  /** Waits for every background fill and clock refresh so far. */
  const settle = async () => {
    while (background.length) await Promise.allSettled(background.splice(0));
  };
  /** Billed KV reads of the entry `key` itself (not the clock's). */
  const entryReads = async (key: string) => {
    const kvKey = await kvKeyFor(prefix, key);
    return counting.log.filter((line) => line === `reads ${kvKey}`).length;
  };
  return { prefix, clock, counting, errors, make, settle, entryReads };
}

/** A Cache API whose every call fails, or never answers. */
function brokenCaches(mode: "fail" | "hang") {
  const broken = () => (mode === "fail" ? Promise.reject(new Error("Cache API: 500")) : new Promise<never>(() => {}));
  return { open: async () => ({ match: broken, put: broken, delete: broken }) };
}

describe("the L1 in the colo's Cache API", () => {
  it("serves isolates of the colo without a KV read of the entry: at most 0.05 reads a hit at 10 hits/s", async () => {
    const t = setup();
    await t.make().set("/busy", page(), { cacheControl: { revalidate: 3600 }, tags: ["a"] });
    const isolates = Array.from({ length: 4 }, () => t.make());
    t.counting.reset();
    let hits = 0;
    // One minute at 10 hits/s on one page, spread over four isolates: copies live 15 s, so about four KV reads.
    for (let i = 0; i < 600; i++) {
      t.clock.advance(100);
      const hit = await isolates[i % 4]!.get("/busy");
      expect(htmlOf(hit)).toBe("<p>page</p>");
      hits++;
      if (i % 20 === 0) await t.settle();
    }
    const reads = await t.entryReads("/busy");
    expect(reads).toBeGreaterThan(0); // copies end: KV is read again
    expect(reads / hits).toBeLessThanOrEqual(0.05);
    expect(t.counting.counts.writes).toBe(0);
  });

  it("an invalidated entry is never served fresh from a copy: it expires, or goes stale, as a KV read would", async () => {
    const t = setup();
    const writer = t.make();
    await writer.set("/news", page(), { cacheControl: { revalidate: 3600 }, tags: ["news"] });
    await writer.set("/sport", page(), { cacheControl: { revalidate: 3600 }, tags: ["sport"] });
    await writer.invalidate("unrelated");
    const reader = t.make();
    expect(htmlOf(await reader.get("/news"))).toBe("<p>page</p>");
    expect(htmlOf(await reader.get("/sport"))).toBe("<p>page</p>");
    t.counting.reset();
    t.clock.advance(1000);
    const other = t.make();
    await other.invalidate("news"); // expire now
    await other.invalidate("sport", {}); // stale now
    // The isolate that invalidated never sees them fresh, whatever the colo holds.
    expect(await other.get("/news")).toBeNull();
    expect((await other.get("/sport"))?.cacheState).toBe("stale");
    // The reader, once its clock refresh is due (5 s), neither; the copies are still in the colo.
    t.clock.advance(5_000);
    await reader.get("/news");
    await t.settle();
    expect(await reader.get("/news")).toBeNull();
    expect((await reader.get("/sport"))?.cacheState).toBe("stale");
    expect(await t.entryReads("/sport")).toBe(0); // decided on the copy, not on a KV read
  });

  it("honours expire: a copy never outlives its entry", async () => {
    const t = setup();
    await t.make().set("/short", page(), { cacheControl: { revalidate: 2, expire: 5 } });
    const reader = t.make();
    t.counting.reset();
    expect(reader && htmlOf(await reader.get("/short"))).toBe("<p>page</p>");
    t.clock.advance(3_000);
    expect((await reader.get("/short"))?.cacheState).toBe("stale"); // past revalidate, from the copy
    expect(await t.entryReads("/short")).toBe(0);
    t.clock.advance(2_500); // past expire (5 s): the copy, cut to the entry's life, is gone too
    expect(await reader.get("/short")).toBeNull();
    expect(await t.entryReads("/short")).toBe(1);
  });

  it("a store in this colo replaces the colo's copy at once; an isolate's own fresh copy within memorySeconds", async () => {
    const t = setup();
    const writer = t.make();
    await writer.set("/v", page("<p>v1</p>"), { cacheControl: { revalidate: 3600 } });
    const reader = t.make();
    expect(htmlOf(await reader.get("/v"))).toBe("<p>v1</p>");
    t.clock.advance(2_000);
    await writer.set("/v", page("<p>v2</p>"), { cacheControl: { revalidate: 3600 } });
    t.counting.reset();
    // An isolate that holds no copy of its own sees the new version at once, from the colo.
    expect(htmlOf(await t.make().get("/v"))).toBe("<p>v2</p>");
    // The reader's own copy (v1, still fresh) is good for up to 5 s from when it read it; then the colo's.
    expect(htmlOf(await reader.get("/v"))).toBe("<p>v1</p>");
    t.clock.advance(3_000);
    expect(htmlOf(await reader.get("/v"))).toBe("<p>v2</p>");
    expect(await t.entryReads("/v")).toBe(0);
  });

  it("an isolate's memory copy serves only while fresh: stale or invalidated, the colo's newer copy is read", async () => {
    const t = setup();
    const writer = t.make();
    await writer.set("/m", page("<p>v1</p>"), { cacheControl: { revalidate: 2 }, tags: ["m"] });
    await writer.invalidate("unrelated");
    const reader = t.make();
    expect(htmlOf(await reader.get("/m"))).toBe("<p>v1</p>");
    // Past revalidate another isolate regenerates; the reader's memory copy is stale, so it reads through.
    t.clock.advance(2_500);
    await writer.set("/m", page("<p>v2</p>"), { cacheControl: { revalidate: 60 }, tags: ["m"] });
    const after = await reader.get("/m");
    expect(htmlOf(after)).toBe("<p>v2</p>");
    expect(after?.cacheState).toBeUndefined();
    // Invalidated (stale now): the memory copy is not served fresh; the colo's copy, decided stale, is.
    t.clock.advance(1_000);
    await writer.invalidate("m", {});
    t.clock.advance(5_000); // the reader's clock refresh is due
    await reader.get("/m");
    await t.settle();
    expect((await reader.get("/m"))?.cacheState).toBe("stale");
    expect(await t.entryReads("/m")).toBe(0);
  });

  it("a memory copy whose buffer a caller transferred away is dropped, not served empty", async () => {
    const t = setup();
    await t.make().set("/moved", page("<p>moved</p>"), { cacheControl: { revalidate: 3600 } });
    const reader = t.make();
    const first = await reader.getEncoded("/moved");
    const html = first!.part("html")!;
    expect(html.bytes.byteLength).toBeGreaterThan(0);
    (html.bytes.buffer as ArrayBuffer & { transfer(): ArrayBuffer }).transfer(); // detaches the buffer the memory copy shares
    const again = await reader.get("/moved");
    expect(htmlOf(again)).toBe("<p>moved</p>");
    const encoded = await reader.getEncoded("/moved");
    expect(encoded!.part("html")!.bytes.byteLength).toBeGreaterThan(0);
    expect(t.errors).toEqual([]);
  });

  it("l1.memorySeconds: 0 turns the isolate's tier off; a bad value is a coded error", async () => {
    const t = setup();
    const writer = t.make();
    await writer.set("/n", page("<p>v1</p>"), { cacheControl: { revalidate: 3600 } });
    const reader = t.make({ l1: { memorySeconds: 0 } });
    expect(htmlOf(await reader.get("/n"))).toBe("<p>v1</p>");
    await writer.set("/n", page("<p>v2</p>"), { cacheControl: { revalidate: 3600 } });
    expect(htmlOf(await reader.get("/n"))).toBe("<p>v2</p>"); // no memory copy: the colo's new copy at once
    expect(() => t.make({ l1: { memorySeconds: -1 } })).toThrow(/ERR_OPTION_INVALID.*l1\.memorySeconds -1/);
    expect(() => t.make({ l1: { memorySeconds: Number.NaN } })).toThrow(/l1\.memorySeconds/);
  });

  it("copies of two namespaces never mix: each is keyed under its coordinator's id or its scope", async () => {
    const t = setup({ coordinator: undefined });
    const a = t.make({ l1: { scope: "namespace-a" } });
    const b = t.make({ l1: { scope: "namespace-b" } });
    await a.set("/shared", page("<p>a</p>"), { cacheControl: { revalidate: 3600 } });
    t.counting.reset();
    expect(htmlOf(await a.get("/shared"))).toBe("<p>a</p>");
    expect(await t.entryReads("/shared")).toBe(0); // a's own copy
    expect(htmlOf(await b.get("/shared"))).toBe("<p>a</p>");
    expect(await t.entryReads("/shared")).toBe(1); // b found no copy of its own: KV
  });

  it("is on with a coordinator, off with l1: false, and needs a scope without a coordinator", async () => {
    const t = setup();
    await t.make().set("/opt", page(), { cacheControl: { revalidate: 3600 } });
    t.counting.reset();
    await t.make().get("/opt");
    expect(await t.entryReads("/opt")).toBe(0);
    await t.make({ l1: false }).get("/opt");
    expect(await t.entryReads("/opt")).toBe(1);
    expect(() => t.make({ coordinator: undefined, l1: {} })).toThrow(/ERR_OPTION_INVALID.*scope/);
    expect(() => t.make({ l1: { seconds: -1 } })).toThrow(/l1\.seconds/);
  });

  for (const mode of ["fail", "hang"] as const) {
    it(`a Cache API that ${mode === "fail" ? "fails" : "hangs"} is a KV read, never an error`, async () => {
      const t = setup({ caches: brokenCaches(mode), l1: { timeoutMs: 20 } });
      const writer = t.make();
      await writer.set("/broken", page(), { cacheControl: { revalidate: 3600 }, tags: ["x"] });
      await writer.invalidate("unrelated");
      // Three isolates (none holds a copy of its own): each reads KV.
      for (let i = 0; i < 3; i++) expect(htmlOf(await t.make().get("/broken"))).toBe("<p>page</p>");
      expect(await t.entryReads("/broken")).toBe(3);
      const reader = t.make();
      await reader.invalidate("x");
      expect(await reader.get("/broken")).toBeNull();
      await t.settle();
      expect(t.errors.filter((e) => !e.startsWith("ERR_COORDINATOR"))).toEqual([]);
    });
  }
});

describe("regeneration leases from the coordinator", () => {
  it("one of 16 isolates asking at once gets the lease; the others keep serving stale", async () => {
    const t = setup();
    const isolates = Array.from({ length: 16 }, () => t.make());
    const answers = await Promise.all(isolates.map((h) => h.regenerationLease("/herd", 1000, 30)));
    expect(answers.filter((a) => a === true)).toHaveLength(1);
    expect(answers.filter((a) => a === false)).toHaveLength(15);
  });

  it("ends when its holder stores the key: isolates with the older copy are refused, the next window is granted", async () => {
    const t = setup();
    const [holder, late, next] = [t.make(), t.make(), t.make()];
    const m = t.clock.now() - 120_000;
    expect(await holder.regenerationLease("/store", m, 30)).toBe(true);
    await holder.set("/store", page("<p>new</p>"), { cacheControl: { revalidate: 60 } });
    await t.settle();
    // An isolate that read the old copy a moment before: a newer one is stored, no second render.
    expect(await late.regenerationLease("/store", m, 30)).toBe(false);
    // The new copy's own stale window gets its render.
    t.clock.advance(61_000);
    const stored = await next.get("/store");
    expect(stored?.cacheState).toBe("stale");
    expect(await next.regenerationLease("/store", stored!.lastModified!, 30)).toBe(true);
  });

  it("a renderer that crashed holds the page only until its lease runs out", async () => {
    const t = setup();
    expect(await t.make().regenerationLease("/crash", 1000, 0.05)).toBe(true); // never stores
    expect(await t.make().regenerationLease("/crash", 1000, 30)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the lease's 50 ms are over (a state, not a measurement)
    expect(await t.make().regenerationLease("/crash", 1000, 30)).toBe(true);
  });

  it("without a coordinator, or when it cannot be asked, the caller decides alone (reported)", async () => {
    const t = setup();
    expect(await t.make({ coordinator: undefined }).regenerationLease("/alone", 1000, 30)).toBeUndefined();
    const down = {
      idFromName: (name: string) => env.EDGE_ISR_COORDINATOR.idFromName(name),
      get: () => ({ fetch: () => Promise.reject(new Error("Durable Object is overloaded")) }),
    };
    expect(await t.make({ coordinator: down }).regenerationLease("/alone", 1000, 30)).toBeUndefined();
    expect(t.errors.some((e) => e.startsWith("ERR_COORDINATOR") && e.includes("regeneration lease"))).toBe(true);
  });
});
