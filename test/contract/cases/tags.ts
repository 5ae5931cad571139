/**
 * revalidateTag with Next 16's semantics (as `FileSystemCache` in next@16):
 * no durations → expired at once; `{ expire: n }` → stale now, a miss after n s;
 * `{}` (a profile without expire) → stale, served while it regenerates.
 * Implicit path tags, soft tags, and what an invalidation costs.
 */
import { expect } from "vitest";
import { implicitTag, implicitTags } from "../../../packages/kv-cache-handler/src/index.js";
import type { Case } from "../fixture.js";
import { appPage, everyKind } from "../values.js";

const cc = { cacheControl: { revalidate: 3600 } };

export function tagCases(test: Case): void {
  test("revalidateTag without durations expires tagged entries at once, in this isolate and others", async ({
    handler,
    another,
    clock,
  }) => {
    await handler.set("/p/1", appPage("<p>1</p>"), { ...cc, tags: ["products", "product:1"] });
    await handler.set("/p/2", appPage("<p>2</p>"), { ...cc, tags: ["products", "product:2"] });
    clock.advance(1000);
    await handler.revalidateTag("product:1");
    for (const reader of [handler, another()]) {
      expect(await reader.get("/p/1")).toBeNull(); // the next request renders, blocking
      expect((await reader.get("/p/2"))?.cacheState).toBeUndefined();
    }
  });

  test("revalidateTag with a profile without expire ({}) makes tagged entries stale, served while they regenerate", async ({
    handler,
    another,
    clock,
  }) => {
    await handler.set("/p/1s", appPage("<p>1</p>"), { ...cc, tags: ["products", "product:1"] });
    await handler.set("/p/2s", appPage("<p>2</p>"), { ...cc, tags: ["products", "product:2"] });
    clock.advance(1000);
    await handler.revalidateTag("product:1", {});
    for (const reader of [handler, another()]) {
      const one = await reader.get("/p/1s");
      expect(one?.cacheState).toBe("stale");
      expect((one!.value as { html: string }).html).toBe("<p>1</p>");
      expect((await reader.get("/p/2s"))?.cacheState).toBeUndefined();
    }
    clock.advance(365 * 24 * 3600 * 1000);
    expect((await another().get("/p/1s"))?.cacheState).toBe("stale"); // never a miss because of the invalidation
  });

  test("revalidateTag with { expire: n } is stale now and a miss after n seconds", async ({ handler, another, clock }) => {
    await handler.set("/p/3", appPage(), { ...cc, tags: ["products"] });
    clock.advance(1000);
    await handler.revalidateTag(["products"], { expire: 60 });
    expect((await another().get("/p/3"))?.cacheState).toBe("stale");
    clock.advance(59_000);
    expect((await another().get("/p/3"))?.cacheState).toBe("stale");
    clock.advance(1_000);
    expect(await another().get("/p/3")).toBeNull();
    expect(await handler.get("/p/3")).toBeNull();
  });

  test("revalidateTag with { expire: 0 } expires: the next get is a miss everywhere", async ({ handler, another, clock }) => {
    await handler.set("/p/4", appPage(), { ...cc, tags: ["product:4"] });
    await handler.set("/p/5", appPage(), { ...cc, tags: ["product:5"] });
    clock.advance(1000);
    await handler.revalidateTag("product:4", { expire: 0 });
    expect(await handler.get("/p/4")).toBeNull();
    expect(await another().get("/p/4")).toBeNull();
    expect((await another().get("/p/5"))?.value?.kind).toBe("APP_PAGE");
  });

  test("an entry written after the invalidation is fresh", async ({ handler, another, clock }) => {
    await handler.set("/p/6", appPage("<p>old</p>"), { ...cc, tags: ["t6"] });
    clock.advance(1000);
    await handler.revalidateTag("t6");
    clock.advance(1000);
    await handler.set("/p/6", appPage("<p>new</p>"), { ...cc, tags: ["t6"] });
    for (const reader of [handler, another()]) {
      const got = await reader.get("/p/6");
      expect(got?.cacheState).toBeUndefined();
      expect((got!.value as { html: string }).html).toBe("<p>new</p>");
    }
  });

  test("an entry regenerated while its tag is stale stays fresh when the tag's expiry passes", async ({ handler, another, clock }) => {
    await handler.set("/p/8", appPage("<p>old</p>"), { ...cc, tags: ["t8"] });
    clock.advance(1000);
    await handler.revalidateTag("t8", { expire: 30 });
    expect((await handler.get("/p/8"))?.cacheState).toBe("stale");
    clock.advance(1000);
    await handler.set("/p/8", appPage("<p>new</p>"), { ...cc, tags: ["t8"] });
    clock.advance(60_000);
    const got = await another().get("/p/8");
    expect(got?.cacheState).toBeUndefined();
    expect((got!.value as { html: string }).html).toBe("<p>new</p>");
  });

  test("revalidateTag of an unknown tag changes nothing", async ({ handler, another, clock }) => {
    await handler.set("/p/7", appPage(), { ...cc, tags: ["t7"] });
    clock.advance(1000);
    await handler.revalidateTag("nobody-uses-this-tag");
    expect((await another().get("/p/7"))?.cacheState).toBeUndefined();
  });

  test("implicit path tags: revalidatePath(p, 'layout') covers children, revalidatePath(p) only the page", async ({
    handler,
    another,
    clock,
  }) => {
    for (const path of ["/blog/a", "/blog/b", "/about"]) {
      await handler.set(path, appPage(`<p>${path}</p>`), {
        ...cc,
        tags: implicitTags(path, path.startsWith("/blog/") ? "/blog/[slug]" : path),
      });
    }
    clock.advance(1000);
    await handler.revalidateTag("_N_T_/blog/a"); // revalidatePath("/blog/a")
    expect(await another().get("/blog/a")).toBeNull();
    expect((await another().get("/blog/b"))?.cacheState).toBeUndefined();

    clock.advance(1000);
    await handler.revalidateTag("_N_T_/blog/layout"); // revalidatePath("/blog", "layout")
    expect(await another().get("/blog/b")).toBeNull();
    expect((await another().get("/about"))?.cacheState).toBeUndefined();

    clock.advance(1000);
    await handler.revalidateTag("_N_T_/layout"); // revalidatePath("/", "layout"): everything
    expect(await another().get("/about")).toBeNull();
  });

  test("a page whose path is over 256 characters keeps its implicit tag (hashed), and Next's long tag reaches it", async ({
    handler,
    another,
    clock,
  }) => {
    const path = `/docs/${"segment-".repeat(40)}end`;
    const raw = `_N_T_${path}`; // what revalidatePath(path) hands the handler in Next.js and vinext
    expect(raw.length).toBeGreaterThan(256);
    await handler.set(path, appPage(), { ...cc, tags: implicitTags(path, "/docs/[...rest]") });
    await handler.set(`${path}-2`, appPage(), { ...cc, tags: [`${raw}-2`] }); // the long tag as Next.js spells it
    clock.advance(1000);
    await handler.revalidateTag(raw);
    expect(await another().get(path)).toBeNull();
    expect((await another().get(`${path}-2`))?.cacheState).toBeUndefined();
    clock.advance(1000);
    await handler.revalidateTag(implicitTag(`${path}-2`));
    expect(await another().get(`${path}-2`)).toBeNull();
  });

  test("tags in Next's x-next-cache-tags header are honoured", async ({ handler, another, clock }) => {
    const page = appPage();
    (page as { headers: Record<string, string> }).headers = { "x-next-cache-tags": "_N_T_/shop/layout,shop-tag" };
    await handler.set("/shop/x", page, cc);
    clock.advance(1000);
    await handler.revalidateTag("shop-tag");
    expect(await another().get("/shop/x")).toBeNull();
  });

  test("soft tags passed to get expire a data entry after revalidatePath in this isolate", async ({ handler, clock }) => {
    await handler.get("/data/1", { kind: "FETCH", softTags: ["_N_T_/products/1"] });
    await handler.set("/data/1", everyKind().FETCH!, {});
    handler.resetRequestCache?.();
    clock.advance(1000);
    await handler.revalidateTag("_N_T_/products/1");
    expect(await handler.get("/data/1", { kind: "FETCH", softTags: ["_N_T_/products/1"] })).toBeNull();
  });

  test("a data entry remembers the soft tags of its request, so other isolates see revalidatePath", async ({ handler, another, clock }) => {
    await handler.get("/data/2", { kind: "FETCH", softTags: ["_N_T_/products/2"] });
    await handler.set("/data/2", everyKind().FETCH!, {});
    clock.advance(1000);
    await another().revalidateTag("_N_T_/products/2");
    expect(await another().get("/data/2")).toBeNull();
  });

  test("get returns the entry's tags", async ({ handler }) => {
    await handler.set("/tagged", appPage(), { ...cc, tags: ["a", "b", "a"] });
    expect((await handler.get("/tagged"))?.tags).toEqual(["a", "b"]);
  });

  test("an invalidation costs O(tags) KV operations and no list, whatever the number of entries", async ({
    handler,
    another,
    counting,
    clock,
  }) => {
    for (let i = 0; i < 300; i++) await handler.set(`/scale/${i}`, appPage(), { ...cc, tags: ["scale", `item:${i}`] });
    clock.advance(1000);
    counting.reset();
    await handler.revalidateTag(["scale", "other-1", "other-2"]);
    expect(counting.counts.lists).toBe(0);
    expect(counting.ambient.operations).toBeLessThanOrEqual(2 * 3 + 2); // a read and a write per tag at most
    expect(await another().get("/scale/299")).toBeNull();
  });
}
