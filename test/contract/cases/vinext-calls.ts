/**
 * Every call vinext 1.4 makes on a data cache handler, with the arguments it
 * passes (read from vinext's shims: cache.js, cache-runtime.js, fetch-cache.js,
 * server/isr-cache.js), so a handler that passes these serves a vinext app.
 */
import { expect } from "vitest";
import type { IncrementalCacheValue } from "../../../packages/kv-cache-handler/src/index.js";
import type { Case } from "../fixture.js";
import { appPage } from "../values.js";

/** A FETCH value as vinext builds it for unstable_cache, fetch() and "use cache". */
const fetchValue = (
  body: string,
  tags: string[],
  revalidate: number | false,
  headers: Record<string, string> = {},
): IncrementalCacheValue => ({
  kind: "FETCH",
  data: { headers, body, url: "cache-key" },
  tags,
  revalidate,
});

/** The tags vinext puts on an App Router page (buildAppPageCacheTags). */
const pageTags = (path: string) => [path, `_N_T_${path}`, "_N_T_/layout", `_N_T_${path}/layout`, `_N_T_${path}/page`];

export function vinextCallCases(test: Case): void {
  test("vinext's ISR page calls: set(key, APP_PAGE, { cacheControl, revalidate, tags }) then get(key) with no context", async ({
    handler,
    another,
  }) => {
    const key = "app:v2:build-1:/posts/a:html";
    await handler.set(key, appPage("<h1>a</h1>"), {
      cacheControl: { revalidate: 60, expire: 31536000 },
      revalidate: 60,
      tags: pageTags("/posts/a"),
    });
    const hit = await another().get(key);
    expect(hit?.cacheState).toBeUndefined();
    expect(hit?.cacheControl).toMatchObject({ revalidate: 60, expire: 31536000 });
    expect((hit!.value as { html: string }).html).toBe("<h1>a</h1>");
  });

  test("vinext's prerender seed: set(key, APP_PAGE, {}) with no revalidate is stored and read back", async ({ handler, another }) => {
    await handler.set("app:v2:build-1:/static:html", appPage("<h1>static</h1>"), {});
    expect(((await another().get("app:v2:build-1:/static:html"))!.value as { html: string }).html).toBe("<h1>static</h1>");
  });

  test("unstable_cache and fetch(): get(key, { kind: 'FETCH', tags, softTags, revalidate }), then set(key, FETCH, { fetchCache, tags, revalidate })", async ({
    handler,
    another,
  }) => {
    const key = "unstable_cache:v2:0123abcd";
    const read = { kind: "FETCH", tags: ["posts", "post:a"], softTags: pageTags("/posts/a"), revalidate: 3600 };
    expect(await handler.get(key, read)).toBeNull();
    await handler.set(key, fetchValue('{"title":"A"}', ["posts", "post:a"], 3600), {
      fetchCache: true,
      tags: ["posts", "post:a"],
      revalidate: 3600,
    });
    const hit = await another().get(key, read);
    expect(hit?.value).toMatchObject({ kind: "FETCH", data: { body: '{"title":"A"}' }, tags: ["posts", "post:a"], revalidate: 3600 });
    expect(hit?.cacheControl?.revalidate).toBe(3600);
  });

  test('"use cache": set(key, FETCH, { fetchCache, tags, timestamp, cacheFunctionInvocation, cacheControl: { revalidate, expire, stale }, staleEntry }) with the default profile (expire 2³²−2 s)', async ({
    handler,
    another,
    clock,
  }) => {
    const key = "use-cache:fn-id:args";
    const previous = { lastModified: clock.now() - 5000, value: fetchValue("old", ["t"], 900), cacheState: "stale" as const };
    await handler.set(key, fetchValue("rsc-bytes", ["t"], 900, { "x-vinext-rsc": "1" }), {
      fetchCache: true,
      tags: ["t"],
      timestamp: clock.now(),
      cacheFunctionInvocation: { encryptedArgs: "enc", referenceId: "fn-id", rootParams: {}, softTags: [] },
      cacheControl: { revalidate: 900, expire: 4294967294, stale: 300 },
      staleEntry: previous,
    });
    const hit = await another().get(key, { kind: "FETCH", softTags: [] });
    expect(hit?.value).toMatchObject({ kind: "FETCH", data: { body: "rsc-bytes", headers: { "x-vinext-rsc": "1" } } });
    expect(hit?.cacheControl).toMatchObject({ revalidate: 900, expire: 4294967294 });
    expect(hit?.cacheState).toBeUndefined();
  });

  test("set honours ctx.timestamp (when the render began): the entry is dated by it, so a revalidateTag during the render leaves it stale", async ({
    handler,
    another,
    clock,
  }) => {
    const began = clock.now();
    clock.advance(1000);
    await handler.revalidateTag("t-render", { expire: 3600 }); // while the render runs
    clock.advance(1000);
    await handler.set("use-cache:slow", fetchValue("rendered with old data", ["t-render"], 900), {
      fetchCache: true,
      tags: ["t-render"],
      timestamp: began,
      cacheControl: { revalidate: 900 },
    });
    expect(
      (await another().get("use-cache:slow", { kind: "FETCH", softTags: [] }))?.lastModified,
      "dated by the render's start everywhere",
    ).toBe(began);
    expect(
      (await handler.get("use-cache:slow", { kind: "FETCH", softTags: [] }))?.cacheState,
      "stale in the isolate that invalidated",
    ).toBe("stale");
    // A timestamp from the future is not believed: the entry is dated now.
    await handler.set("use-cache:future", fetchValue("x", [], 900), {
      fetchCache: true,
      timestamp: clock.now() + 60_000,
      cacheControl: { revalidate: 900 },
    });
    expect((await another().get("use-cache:future"))?.lastModified).toBe(clock.now());
  });

  test("revalidateTag as vinext calls it: one tag string, durations undefined or { expire } from a cacheLife profile; resetRequestCache between requests", async ({
    handler,
    another,
    clock,
  }) => {
    await handler.set("/v/1", appPage(), { cacheControl: { revalidate: 3600 }, tags: ["post:1"] });
    await handler.set("/v/2", appPage(), { cacheControl: { revalidate: 3600 }, tags: ["post:2"] });
    clock.advance(1000);
    await handler.revalidateTag("post:1", { expire: 31536000 }); // revalidateTag(tag, "max")
    await handler.revalidateTag("post:2", undefined); // revalidateTag(tag), revalidatePath, updateTag
    handler.resetRequestCache?.();
    const reader = another();
    expect((await reader.get("/v/1"))?.cacheState, "a profile is stale-while-revalidate").toBe("stale");
    // No profile: what it does (Next 16 expires at once) is the revalidateTag cases' business; here, that the call lands.
    const second = await reader.get("/v/2");
    expect(second === null || second.cacheState === "stale", "no longer served as fresh").toBe(true);
  });
}
