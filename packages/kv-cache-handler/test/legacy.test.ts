/**
 * Entries written before the tag clock keep reading as they did: a stale or
 * expire mark the old sweep put in an entry's metadata still counts.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { KVCacheHandler, kvKeyFor } from "../src/index.js";

const page = { kind: "APP_PAGE" as const, html: "<p>old format</p>", rscData: undefined, headers: {}, postponed: undefined, status: 200 };

describe("entries marked by the sweep before the tag clock", () => {
  it("a stale mark (s) is served stale, an expire mark (x) that is due is a miss", async () => {
    const prefix = `legacy-${crypto.randomUUID().slice(0, 8)}/`;
    const handler = new KVCacheHandler(env.CACHE, { prefix, logger: { warn() {}, error() {} } });
    await handler.set("/stale", page, { cacheControl: { revalidate: 3600 }, tags: ["t"] });
    await handler.set("/expired", page, { cacheControl: { revalidate: 3600 }, tags: ["t"] });
    for (const [key, mark] of [
      ["/stale", "s"],
      ["/expired", "x"],
    ] as const) {
      const kvKey = await kvKeyFor(prefix, key);
      const { value, metadata } = await env.CACHE.getWithMetadata<Record<string, number>>(kvKey, "arrayBuffer");
      // What the sweep wrote: the same bytes, metadata marked stale (and, for an expiry, when).
      const m = metadata!.m!;
      const marked = mark === "s" ? { ...metadata!, s: m + 1 } : { ...metadata!, s: m + 1, x: Date.now() - 1000 };
      await env.CACHE.put(kvKey, value!, { metadata: marked });
    }
    const reader = new KVCacheHandler(env.CACHE, { prefix, logger: { warn() {}, error() {} } });
    const stale = await reader.get("/stale");
    expect(stale?.cacheState).toBe("stale");
    expect((stale!.value as { html: string }).html).toBe("<p>old format</p>");
    expect(await reader.get("/expired")).toBeNull();
  });
});
