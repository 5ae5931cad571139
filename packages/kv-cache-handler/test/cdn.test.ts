/** Cache-Tag values within Cloudflare's limits, and the Workers Cache purge (a recording fake: Miniflare has no ctx.cache). */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CdnLimits, KVCacheHandler, cacheTagHeader, hashedCdnTag, implicitTags, purgeTagsFor } from "../src/index.js";

describe("Cache-Tag", () => {
  it("keeps tags that fit as they are, and hashes the rest", () => {
    const header = cacheTagHeader(["products", "product:42", ...implicitTags("/shop/shoes"), "with space", "comma,inside", "é"])!;
    const tags = header.split(",");
    expect(tags).toContain("products");
    expect(tags).toContain("product:42");
    expect(tags).toContain("_N_T_/shop/shoes");
    for (const bad of ["with space", "comma,inside", "é"]) expect(tags).toContain(hashedCdnTag(bad));
    expect(tags.every((t) => /^[\x21-\x2b\x2d-\x7e]+$/.test(t))).toBe(true);
  });

  it("stays within the count and header-size limits, naming every tag or none", () => {
    const long = Array.from({ length: 300 }, (_, i) => `tag-${i}-${"x".repeat(60)}`); // 20 KiB as they are
    const header = cacheTagHeader(long)!;
    expect(header.length).toBeLessThanOrEqual(CdnLimits.maxHeaderBytes);
    expect(header.split(",")).toEqual(long.map(hashedCdnTag));
    // More than fit even hashed: no header (the runtime then keeps the page out of shared caches).
    expect(cacheTagHeader(Array.from({ length: 1500 }, (_, i) => `t${i}`))).toBeUndefined();
    expect(cacheTagHeader(["x".repeat(CdnLimits.maxTagChars + 1)])).toBe(hashedCdnTag("x".repeat(CdnLimits.maxTagChars + 1)));
    expect(cacheTagHeader([])).toBeUndefined();
  });

  it("a purge names both spellings of a tag, so it reaches a page whichever one it carries", () => {
    expect(purgeTagsFor(["products"])).toEqual(["products", hashedCdnTag("products")]);
    expect(purgeTagsFor(["with space"])).toEqual([hashedCdnTag("with space")]);
  });
});

describe("the Workers Cache purge on invalidation", () => {
  const make = (options: ConstructorParameters<typeof KVCacheHandler>[1] = {}) =>
    new KVCacheHandler(env.CACHE, { prefix: `cdn-${crypto.randomUUID().slice(0, 8)}/`, logger: { warn() {}, error() {} }, ...options });

  it("purges the invalidated tags, 100 a call, beside the tag clock", async () => {
    const calls: string[][] = [];
    const workersCache = { purge: async ({ tags }: { tags: string[] }) => void calls.push(tags) };
    const result = await make({ workersCache }).invalidate(Array.from({ length: 60 }, (_, i) => `t${i}`));
    expect(result.failed).toBe(0);
    expect(result.cdn).toEqual({ purged: 120, failed: 0 });
    expect(calls.map((c) => c.length)).toEqual([100, 20]);
    expect(calls.flat()).toContain("t59");
    expect(calls.flat()).toContain(hashedCdnTag("t59"));
  });

  it("a request's ctx.cache is used instead of the option; none at all (Miniflare) purges nothing", async () => {
    const calls: string[][] = [];
    const handler = make();
    expect((await handler.invalidate("a")).cdn).toBeUndefined();
    expect((await handler.invalidate("a", undefined, { workersCache: {} })).cdn).toBeUndefined(); // no purge(): feature-detected
    await handler.invalidate("a", undefined, { workersCache: { purge: async ({ tags }: { tags: string[] }) => void calls.push(tags) } });
    expect(calls).toEqual([["a", hashedCdnTag("a")]]);
  });

  it("a purge that fails, hangs or is refused is reported and counted; the invalidation itself stands", async () => {
    const errors: string[] = [];
    for (const purge of [
      () => Promise.reject(new Error("purge: 500")),
      () => new Promise<never>(() => {}),
      async () => ({ success: false, errors: [{ code: 1134, message: "rate limited" }] }),
    ]) {
      const handler = make({ workersCache: { purge }, readTimeoutMs: 50, onError: (e) => errors.push(e.code) });
      await handler.set(
        "/p",
        { kind: "APP_PAGE", html: "x", rscData: undefined, headers: {}, postponed: undefined, status: 200 },
        { cacheControl: { revalidate: 3600 }, tags: ["a"] },
      );
      const result = await handler.invalidate("a");
      expect(result).toMatchObject({ failed: 0, cdn: { failed: 1 } });
      expect(await handler.get("/p")).toBeNull();
    }
    expect(errors).toEqual(["ERR_CDN_PURGE", "ERR_CDN_PURGE", "ERR_CDN_PURGE"]);
  });
});
