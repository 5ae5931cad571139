/**
 * `@edge-isr/kv-cache-handler/vinext`, the module vinext's `cache.data` slot
 * imports: accepted by vinext 1.4's own adapter check, binding looked up on first
 * use (a missing one is a miss, reported once), options checked when vite.config
 * runs. In workerd on Miniflare's KV.
 */
import { env } from "cloudflare:test";
import { instantiateCacheAdapter } from "vinext/shims/cache-adapter-instantiate";
import { afterEach, describe, expect, it, vi } from "vitest";
import { KVCacheHandler, kvKeyFor } from "../src/index.js";
import createVinextDataCache, { DEFAULT_VINEXT_BINDING, kvDataAdapter, VINEXT_ADAPTER_MODULE } from "../src/vinext.js";

const page = (html: string) => ({ kind: "APP_PAGE" as const, html, rscData: undefined, headers: {}, postponed: undefined, status: 200 });

afterEach(() => vi.restoreAllMocks());

describe("the vinext data-cache adapter", () => {
  it("passes vinext 1.4's own adapter check (instantiateCacheAdapter), and stores under the default binding", async () => {
    const appPrefix = `vx-${crypto.randomUUID().slice(0, 8)}`;
    const cache = instantiateCacheAdapter(
      createVinextDataCache,
      { env: { [DEFAULT_VINEXT_BINDING]: env.CACHE }, options: { appPrefix } },
      "data",
    ) as ReturnType<typeof createVinextDataCache>;
    await cache.set("/p", page("<h1>p</h1>"), { cacheControl: { revalidate: 60 }, tags: ["t"] });
    expect(await cache.get("/p")).toMatchObject({ value: { html: "<h1>p</h1>" }, cacheControl: { revalidate: 60 } });
    expect(await env.CACHE.get(await kvKeyFor(`${appPrefix}:`, "/p"))).not.toBeNull();
    await cache.revalidateTag("t", { expire: 0 });
    expect(await cache.get("/p")).toBeNull();
  });

  it("looks the binding up on first use: a missing one is reported once, naming the binding and the wrangler line, and every call is a miss", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const cache = createVinextDataCache({ env: {}, options: { binding: "MY_KV" } });
    expect(errors).not.toHaveBeenCalled();
    expect(await cache.get("/p")).toBeNull();
    await expect(cache.set("/p", page("x"))).resolves.toBeUndefined();
    await expect(cache.revalidateTag("t")).resolves.toBeUndefined();
    expect(await cache.get("/p")).toBeNull();
    expect(errors).toHaveBeenCalledTimes(1);
    expect(String(errors.mock.calls[0]![0])).toMatch(
      /ERR_OPTION_INVALID: vinext data cache: env\.MY_KV is not a KV namespace binding.*"binding": "MY_KV"/,
    );
  });

  it("replaces { binding: NAME } in an option with env.NAME on first use (how a Durable Object binding reaches the handler)", async () => {
    const waited: Promise<unknown>[] = [];
    const cache = createVinextDataCache({
      env: { KV: env.CACHE, EXEC: { waitUntil: (p: Promise<unknown>) => waited.push(p) } },
      options: { binding: "KV", appPrefix: `vx-${crypto.randomUUID().slice(0, 8)}`, ctx: { binding: "EXEC" } } as never,
    });
    await cache.set("/p", page("x"), { cacheControl: { revalidate: 60 } });
    expect(waited.length, "the handler kept its write alive with env.EXEC.waitUntil").toBeGreaterThan(0);
  });

  it("an option naming a binding the Worker lacks is reported, naming the option", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const cache = createVinextDataCache({ env: { KV: env.CACHE }, options: { binding: "KV", ctx: { binding: "NOPE" } } as never });
    expect(await cache.get("/p")).toBeNull();
    expect(String(errors.mock.calls[0]![0])).toMatch(/option ctx names the binding NOPE/);
  });

  it("setCacheHandler(new KVCacheHandler(env.KV)), vinext's imperative path, still hands every call to the handler", async () => {
    const { setCacheHandler, getDataCacheHandler } = await import("vinext/shims/cache-handler");
    const prefix = `vx-${crypto.randomUUID().slice(0, 8)}/`;
    setCacheHandler(new KVCacheHandler(env.CACHE, { prefix }) as never);
    await getDataCacheHandler().set("/imperative", page("<h1>i</h1>") as never, { cacheControl: { revalidate: 60 } } as never);
    expect(await env.CACHE.get(await kvKeyFor(prefix, "/imperative"))).not.toBeNull();
    expect(((await getDataCacheHandler().get("/imperative")) as { value: { html: string } }).value.html).toBe("<h1>i</h1>");
  });

  it("kvDataAdapter() returns the descriptor vinext expects, with kvDataAdapter's default binding, and accepts its options", () => {
    expect(kvDataAdapter()).toEqual({ adapter: VINEXT_ADAPTER_MODULE, options: { binding: "VINEXT_KV_CACHE" } });
    expect(
      kvDataAdapter({ binding: "CACHE", appPrefix: "shop", ttlSeconds: 3600, cacheTtl: 30, tagCacheTtlMs: 5000, readTimeoutMs: 800 }),
    ).toEqual({
      adapter: "@edge-isr/kv-cache-handler/vinext",
      options: { binding: "CACHE", appPrefix: "shop", ttlSeconds: 3600, cacheTtl: 30, tagCacheTtlMs: 5000, readTimeoutMs: 800 },
    });
  });

  it.each([
    [{ cacheTtl: 10 }, /ERR_OPTION_INVALID: cacheTtl 10 is below KV's minimum of 30 seconds/],
    [{ readTimeoutMs: -1 }, /ERR_OPTION_INVALID: readTimeoutMs -1 must be a positive number/],
    [{ binding: "" }, /ERR_OPTION_INVALID: vinext data cache option binding must be the name of a KV binding/],
    [{ onError: () => {} }, /ERR_OPTION_INVALID: vinext data cache options must be JSON/],
  ])("kvDataAdapter(%o) fails when vite.config runs, not on the first request", (options, message) => {
    expect(() => kvDataAdapter(options as never)).toThrow(message);
  });
});
