/** revalidateTag / updateTag / revalidatePath, and the revalidation endpoint. */
import { describe, expect, it } from "vitest";
import { implicitTags } from "@edge-isr/kv-cache-handler";
import { pathTag, revalidatePath, revalidateTag, updateTag } from "../src/index.js";
import { cacheState, createTestApp, text } from "./harness.js";

const warm = async (app: ReturnType<typeof createTestApp>, ...paths: string[]) => {
  for (const path of paths) await app.fetch(path);
  await app.drain();
  app.clock.advance(1000);
};

describe("on-demand revalidation", () => {
  it("revalidateTag(tag, 'max') serves the old page once (STALE) while it regenerates", async () => {
    const app = createTestApp();
    await warm(app, "/products/1", "/products/2");
    app.state.version = 2;
    await revalidateTag("product:1", "max", app.handler);
    const stale = await app.fetch("/products/1");
    expect(cacheState(stale)).toBe("STALE");
    expect(await text(stale)).toContain("v1");
    expect(cacheState(await app.fetch("/products/2"))).toBe("HIT");
    await app.drain();
    expect(await text(await app.fetch("/products/1"))).toContain("v2");
  });

  it("revalidateTag(tag) without a profile expires at once, as in Next 16: the next request renders (MISS)", async () => {
    const app = createTestApp();
    await warm(app, "/products/1", "/products/2");
    app.state.version = 2;
    await revalidateTag("product:1", undefined, app.handler);
    const res = await app.fetch("/products/1");
    expect(cacheState(res)).toBe("MISS");
    expect(await text(res)).toContain("v2");
    expect(cacheState(await app.fetch("/products/2"))).toBe("HIT");
  });

  it("revalidateTag(tag, 'hours') is stale now and a miss after the profile's expire (a day)", async () => {
    const app = createTestApp();
    await warm(app, "/products/1");
    await revalidateTag("product:1", "hours", app.handler);
    app.state.fail = true; // the regeneration fails, so the stale copy stays
    expect(cacheState(await app.fetch("/products/1"))).toBe("STALE");
    await app.drain();
    app.clock.advance(86_400_000);
    app.state.fail = false;
    expect(cacheState(await app.fetch("/products/1"))).toBe("MISS");
  });

  it("an unknown profile is refused with a coded error naming it and the known ones", async () => {
    const app = createTestApp();
    await expect(revalidateTag("product:1", "fortnight", app.handler)).rejects.toMatchObject({
      code: "ERR_OPTION_INVALID",
      message: expect.stringContaining('"fortnight"'),
    });
    await expect(revalidateTag("product:1", "fortnight", app.handler)).rejects.toThrow(
      /default, seconds, minutes, hours, days, weeks, max/,
    );
  });

  it("updateTag expires: the next request renders the new page (MISS)", async () => {
    const app = createTestApp();
    await warm(app, "/products/1");
    app.state.version = 2;
    await updateTag("product:1", app.handler);
    const res = await app.fetch("/products/1");
    expect(cacheState(res)).toBe("MISS");
    expect(await text(res)).toContain("v2");
  });

  it("revalidatePath(p) expires one page; revalidatePath(p, 'layout') every page below (MISS, as in Next 16)", async () => {
    const app = createTestApp();
    await warm(app, "/blog/a", "/blog/b", "/about");
    await revalidatePath("/blog/a", undefined, app.handler);
    expect(cacheState(await app.fetch("/blog/a"))).toBe("MISS");
    expect(cacheState(await app.fetch("/blog/b"))).toBe("HIT");
    await app.drain();
    app.clock.advance(1000);
    await revalidatePath("/blog", "layout", app.handler);
    expect(cacheState(await app.fetch("/blog/b"))).toBe("MISS");
    expect(cacheState(await app.fetch("/about"))).toBe("HIT");
    await app.drain();
    app.clock.advance(1000);
    await revalidatePath("/blog/[slug]", "page", app.handler);
    expect(cacheState(await app.fetch("/blog/a"))).toBe("MISS");
  });

  it("revalidatePath of a 600-character path reaches its page (its implicit tag is hashed on both sides)", async () => {
    const app = createTestApp({ revalidateEndpoint: { secret: () => "s" } });
    const path = `/blog/${"a-long-slug-".repeat(49)}slug-x`;
    expect(path).toHaveLength(600);
    const other = `${path.slice(0, -1)}z`; // same length, same first 599 characters
    await warm(app, path, other);
    expect(cacheState(await app.fetch(path))).toBe("HIT");
    await revalidatePath(path, undefined, app.handler);
    expect(cacheState(await app.fetch(path))).toBe("MISS");
    expect(cacheState(await app.fetch(other))).toBe("HIT");
    // Through the endpoint too, with the path spelled another way.
    await app.drain();
    app.clock.advance(1000);
    const body = JSON.stringify({ paths: [`/${other.slice(1).replace("/", "//")}/`] });
    const res = await app.fetch("/_isr/revalidate", { method: "POST", headers: { authorization: "Bearer s" }, body });
    expect(res.status).toBe(200);
    expect(cacheState(await app.fetch(other))).toBe("MISS");
    expect(app.errors).toEqual([]);
  });

  it("pathTag hashes a tag over 256 characters as the handler's implicitTags does, and only then", () => {
    const short = `/${"s".repeat(250)}`; // "_N_T_" + 251 characters = 256
    expect(pathTag(short)).toBe(`_N_T_${short}`);
    const long = `${short}x`;
    expect(pathTag(long)).toMatch(/^_N_T_#[0-9a-f]{64}$/);
    expect(implicitTags(long)).toContain(pathTag(long));
    expect(implicitTags(`${long}/child`)).toContain(pathTag(long, "layout"));
    expect(pathTag(`${long}/`)).toBe(pathTag(long));
  });

  it("pathTag spells Next's implicit tags", () => {
    expect(pathTag("/blog/a")).toBe("_N_T_/blog/a");
    expect(pathTag("/blog", "layout")).toBe("_N_T_/blog/layout");
    expect(pathTag("/", "layout")).toBe("_N_T_/layout");
    expect(pathTag("/blog/[slug]", "page")).toBe("_N_T_/blog/[slug]/page");
    expect(pathTag("/blog/café")).toBe("_N_T_/blog/caf%C3%A9");
  });
});

describe("POST /_isr/revalidate", () => {
  const secret = "s3cret-for-tests";
  const endpoint = (
    app: ReturnType<typeof createTestApp>,
    body: unknown,
    auth: string | null = `Bearer ${secret}`,
    extra: Record<string, string> = {},
  ) =>
    app.fetch("/_isr/revalidate", {
      method: "POST",
      headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}), ...extra },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("is disabled (404) when no secret is configured", async () => {
    const app = createTestApp({ revalidateEndpoint: { secret: () => undefined } });
    expect((await endpoint(app, { tags: ["products"] })).status).toBe(404);
  });

  it("answers 401 without the right bearer secret and changes nothing", async () => {
    const app = createTestApp({ revalidateEndpoint: { secret: () => secret } });
    await warm(app, "/products/1");
    for (const auth of [null, "Bearer wrong", `Basic ${secret}`, `Bearer ${secret}x`]) {
      const res = await endpoint(app, { tags: ["products"] }, auth);
      expect(res.status, String(auth)).toBe(401);
    }
    expect(cacheState(await app.fetch("/products/1"))).toBe("HIT");
  });

  it("answers 400 naming the bad field, and 413 for an oversized body", async () => {
    const app = createTestApp({ revalidateEndpoint: { secret: () => secret } });
    const cases: [unknown, string][] = [
      ["not json", "JSON"],
      [[], "object"],
      [{ tags: "products" }, '"tags"'],
      [{ tags: [""] }, '"tags"'],
      [{ paths: ["no-slash"] }, '"paths[0]"'],
      [{ paths: [{ path: "/a", type: "section" }] }, '"paths[0]"'],
      [{ tags: ["a"], expire: -1 }, '"expire"'],
      [{ tags: ["a"], profile: "fortnight" }, '"profile"'],
      [{ tags: ["a"], profile: 3 }, '"profile"'],
      [{ tags: ["a"], profile: "max", expire: 0 }, "not both"],
      [{}, "at least one"],
    ];
    for (const [body, mention] of cases) {
      const res = await endpoint(app, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json<{ error: string }>()).error).toContain(mention);
    }
    const huge = await endpoint(app, { tags: ["x".repeat(70_000)] });
    expect(huge.status).toBe(413);
  });

  it("expires tags and paths by default (Next 16) and answers counts, never entries", async () => {
    const app = createTestApp({ revalidateEndpoint: { secret: () => secret } });
    await warm(app, "/products/1", "/blog/a", "/products/2");
    const res = await endpoint(app, { tags: ["product:1"], paths: ["/blog/a"] });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ revalidated: { tags: 1, paths: 1 }, expire: 0, via: "kv" });
    expect(body).not.toContain("<h1>");
    expect(cacheState(await app.fetch("/products/1"))).toBe("MISS");
    expect(cacheState(await app.fetch("/blog/a"))).toBe("MISS");
    expect(cacheState(await app.fetch("/products/2"))).toBe("HIT");
  });

  it('with profile "max" the pages are stale: served once more while they regenerate', async () => {
    const app = createTestApp({ revalidateEndpoint: { secret: () => secret } });
    await warm(app, "/products/1");
    const res = await endpoint(app, { tags: ["product:1"], profile: "max" });
    expect(await res.json()).toEqual({ revalidated: { tags: 1, paths: 0 }, expire: 31_536_000, via: "kv" });
    expect(cacheState(await app.fetch("/products/1"))).toBe("STALE");
  });

  it("with expire 0 the next request is a MISS", async () => {
    const app = createTestApp({ revalidateEndpoint: { secret: () => secret } });
    await warm(app, "/products/1");
    expect((await endpoint(app, { tags: ["products"], expire: 0 })).status).toBe(200);
    expect(cacheState(await app.fetch("/products/1"))).toBe("MISS");
  });

  it("a request carrying the secret in x-edge-isr-revalidate is rendered afresh (REVALIDATED)", async () => {
    const app = createTestApp({ revalidateEndpoint: { secret: () => secret } });
    await warm(app, "/products/1");
    app.state.version = 2;
    const wrong = await app.fetch("/products/1", { headers: { "x-edge-isr-revalidate": "nope" } });
    expect(cacheState(wrong)).toBe("HIT");
    const forced = await app.fetch("/products/1", { headers: { "x-edge-isr-revalidate": secret } });
    expect(cacheState(forced)).toBe("REVALIDATED");
    expect(await text(forced)).toContain("v2");
    await app.drain();
    expect(await text(await app.fetch("/products/1"))).toContain("v2");
  });
});
