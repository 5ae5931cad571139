/**
 * What the runtime gives the layers in front of it: Cache-Tag and CDN headers
 * consistent with the entry's life, a purge of Workers Cache (ctx.cache, a
 * recording fake: Miniflare has none) on revalidation, and no 5xx when the
 * colo's Cache API under the L1 fails or hangs.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { hashedCdnTag } from "@edge-isr/kv-cache-handler";
import { cacheState, createTestApp } from "./harness.js";

const coordinator = { coordinator: env.EDGE_ISR_COORDINATOR, binding: "CACHE" };

describe("CDN headers", () => {
  it("carry the page's explicit and implicit tags, and what is left of its life", async () => {
    const app = createTestApp();
    const miss = await app.fetch("/products/7");
    expect(miss.headers.get("cache-tag")?.split(",")).toEqual(expect.arrayContaining(["products", "product:7", "_N_T_/products/7"]));
    await app.drain();
    app.clock.advance(20_000);
    const hit = await app.fetch("/products/7");
    expect(cacheState(hit)).toBe("HIT");
    expect(hit.headers.get("cache-tag")).toBe(miss.headers.get("cache-tag"));
    expect(hit.headers.get("cache-control")).toBe("s-maxage=40, stale-while-revalidate=3540"); // 60 - 20 fresh, until expire 3600
    app.clock.advance(60_000);
    const stale = await app.fetch("/products/7");
    expect(cacheState(stale)).toBe("STALE");
    expect(stale.headers.get("cache-control")).toBe("s-maxage=0, stale-while-revalidate=3520"); // never kept as fresh
  });

  it("a personal route's answers carry no Cache-Tag (no shared cache keeps them)", async () => {
    const app = createTestApp();
    const res = await app.fetch("/account/orders");
    expect(res.headers.get("cache-control")).toBe("private, no-cache");
    expect(res.headers.get("cache-tag")).toBeNull();
  });
});

describe("revalidation purges Workers Cache", () => {
  it("calls ctx.cache.purge with the same tags when the runtime has it", async () => {
    const app = createTestApp({ revalidateEndpoint: { secret: () => "s" } });
    const purged: string[][] = [];
    const ctx = { waitUntil: () => {}, cache: { purge: async ({ tags }: { tags: string[] }) => void purged.push(tags) } };
    const request = new Request("https://shop.example/_isr/revalidate", {
      method: "POST",
      headers: { authorization: "Bearer s", "content-type": "application/json" },
      body: JSON.stringify({ tags: ["product:7"], paths: ["/products/7"] }),
    });
    const res = await app.isr.fetch(request, env, ctx);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ cdn: { failed: 0 } });
    expect(purged.flat()).toEqual(expect.arrayContaining(["product:7", hashedCdnTag("product:7"), "_N_T_/products/7"]));
  });
});

describe("a colo Cache API that fails or hangs under the L1", () => {
  for (const mode of ["fail", "hang"] as const) {
    it(`(${mode}) never turns a page into a 5xx: hits, stale hits and misses are served from KV`, async () => {
      const broken = () => (mode === "fail" ? Promise.reject(new Error("Cache API: 500")) : new Promise<never>(() => {}));
      const caches = { open: async () => ({ match: broken, put: broken, delete: broken }) };
      const app = createTestApp({}, { handlerOptions: { ...coordinator, caches, l1: { timeoutMs: 20 } } });
      const states: (string | null)[] = [];
      for (const step of [0, 1_000, 61_000, 0]) {
        app.clock.advance(step);
        const res = await app.fetch("/products/9");
        expect(res.status).toBe(200);
        states.push(cacheState(res));
        await app.drain();
      }
      expect(states).toEqual(["MISS", "HIT", "STALE", "HIT"]);
    });
  }
});
