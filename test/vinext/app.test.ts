/**
 * apps/vinext — a vinext 1.4 App Router app whose data cache is
 * `@edge-isr/kv-cache-handler/vinext` (declared in vite.config) — built with Node 22
 * and served by `vite preview` (the built Worker in workerd, Miniflare's KV), checked
 * row by row against what Next 16 does. States are waited for, never timed: the only
 * clock is /ticker/[id]'s 3-second `revalidate` (the posts' is an hour).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILD_ID, buildApp, edgeIsr, type Preview, startPreview, until, visit } from "./app-server.js";

const TICKER_REVALIDATE_MS = 3000;
const STATIC_PAGES = ["/", "/about", "/posts/hello", "/posts/world"];

const revalidate = async (base: string, query: string) => {
  const res = await fetch(`${base}/api/revalidate?${query}`, { method: "POST" });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
};
const renderedAt = (render: string | undefined) => Date.parse(render?.split(" ")[0] ?? "");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("switching apps/vinext from @vinext/cloudflare's KV cache to edge-isr's, with edge-isr vinext migrate", () => {
  let state: string;
  let app: Preview | undefined;
  const served = new Map<string, string | undefined>();

  beforeAll(async () => {
    buildApp("vite.config.vinext-kv.ts");
    state = mkdtempSync(join(tmpdir(), "edge-isr-vinext-switch-"));
    app = await startPreview(state);
  });
  afterAll(async () => {
    await app?.stop();
    if (state) rmSync(state, { recursive: true, force: true });
  });

  it("on vinext's handler: pages and their data are cached in vinext's format, and a revalidated one is rendered again", async () => {
    for (const path of ["/", "/about", "/posts/hello", "/posts/world"]) {
      await visit(app!.url, path);
      served.set(path, (await until(app!.url, path, (v) => v.cache === "HIT", "a HIT")).render);
    }
    await revalidate(app!.url, "path=/about"); // vinext writes a __tag:_N_T_/about key
    expect((await visit(app!.url, "/about")).cache, "vinext expires a revalidated path at once").toBe("MISS");
    served.set("/about", (await until(app!.url, "/about", (v) => v.cache === "HIT", "a HIT")).render);
    await app!.stop();
    app = undefined;
  });

  it("migrate (a dry run, then for real) converts every entry vinext stored in the app's local state", () => {
    const dry = edgeIsr(["vinext", "migrate", "--persist-to", state, "--config", "wrangler.jsonc", "--dry-run", "--build-id", BUILD_ID]);
    expect(dry.status, dry.output).toBe(0);
    expect(dry.output).toMatch(/would migrate \d+ of \d+ vinext entries/);
    const run = edgeIsr([
      "vinext",
      "migrate",
      "--persist-to",
      state,
      "--config",
      "wrangler.jsonc",
      "--build-id",
      BUILD_ID,
      "--state",
      join(state, "migrate.json"),
    ]);
    expect(run.status, run.output).toBe(0);
    const [, migrated, seen] = /migrated (\d+) of (\d+) vinext entries/.exec(run.output) ?? [];
    expect(Number(migrated), run.output).toBeGreaterThanOrEqual(8); // HTML and RSC of 4 pages, and the posts' data
    expect(Number(migrated)).toBeLessThanOrEqual(Number(seen));
    console.info(`[vinext switch] ${run.output.trim()}`);
  });

  it("after the switch (same build id, edge-isr's adapter), the first visit of every page is a HIT of what vinext had rendered", async () => {
    buildApp("vite.config.ts");
    app = await startPreview(state);
    for (const [path, render] of served) {
      const first = await visit(app.url, path);
      expect(first.cache, path).toBe("HIT");
      expect(first.render, `${path}: the page vinext stored, not a new render`).toBe(render);
    }
  });
});

describe("apps/vinext on edge-isr's data cache, under vite preview", () => {
  let state: string;
  let app: Preview;

  beforeAll(async () => {
    buildApp();
    state = mkdtempSync(join(tmpdir(), "edge-isr-vinext-"));
    app = await startPreview(state);
  });
  afterAll(async () => {
    await app?.stop();
    if (state) rmSync(state, { recursive: true, force: true });
  });

  it("edge-isr vinext prerender stores every static page through the running build (vinext's discovery, generateStaticParams included)", () => {
    const run = edgeIsr(["vinext", "prerender", "--url", app.url]);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toMatch(
      new RegExp(`prerendered ${STATIC_PAGES.length} pages of build \\S+ through ${app.url.replace(/[.:/]/g, "\\$&")}`),
    );
    expect(run.output).toContain("0 failed");
  });

  it("edge-isr vinext prerender refuses a server that runs another build, before requesting any page", () => {
    const other = mkdtempSync(join(tmpdir(), "edge-isr-vinext-other-"));
    mkdirSync(join(other, "dist", "server"), { recursive: true });
    writeFileSync(join(other, "dist", "server", "vinext-server.json"), JSON.stringify({ prerenderSecret: "not-this-build" }));
    writeFileSync(join(other, "dist", "server", "BUILD_ID"), "another-build");
    try {
      const run = edgeIsr(["vinext", "prerender", "--url", app.url, "--root", other]);
      expect(run.status).toBe(1);
      expect(run.output).toMatch(
        /\[ERR_NO_PRERENDER_SUPPORT\] .* did not accept the prerender secret of the build in .*How to solve this error/s,
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("restart keeps the cache: after prerender and a restart, the first visit of every static page is a HIT rendered before the restart, HTML and RSC alike", async () => {
    await app.stop();
    const restartedAt = Date.now();
    app = await startPreview(state);
    for (const path of STATIC_PAGES) {
      const html = await visit(app.url, path);
      expect(html.cache, path).toBe("HIT");
      expect(renderedAt(html.render), path).toBeLessThan(restartedAt);
      const rsc = await visit(app.url, path, { rsc: true });
      expect(rsc.cache, `${path} RSC`).toBe("HIT");
      expect(rsc.contentType).toContain("text/x-component");
      expect(rsc.render, `${path}: the RSC payload is the same render as the HTML`).toBe(html.render);
    }
  });

  it("MISS, then HIT, then STALE once revalidate has passed, then a HIT of a new render (a page rendered on its first request)", async () => {
    const miss = await visit(app.url, "/ticker/1");
    expect([miss.status, miss.cache]).toEqual([200, "MISS"]);
    const hit = await until(app.url, "/ticker/1", (v) => v.cache === "HIT", "a HIT");
    expect(hit.render).toBe(miss.render);
    await sleep(renderedAt(miss.render) + TICKER_REVALIDATE_MS + 500 - Date.now());
    const stale = await visit(app.url, "/ticker/1");
    expect(stale.cache).toBe("STALE");
    expect(stale.render, "a stale page is served as it was").toBe(miss.render);
    await until(app.url, "/ticker/1", (v) => v.cache === "HIT" && v.render !== miss.render, "regenerated");
  });

  it("a post generateStaticParams did not list renders on its first request and is cached with its data", async () => {
    const miss = await visit(app.url, "/posts/fresh");
    expect([miss.status, miss.cache]).toEqual([200, "MISS"]);
    expect(miss.body).toContain("<h1>Fresh</h1>");
    expect(await until(app.url, "/posts/fresh", (v) => v.cache === "HIT", "a HIT")).toMatchObject({
      render: miss.render,
      fetch: miss.fetch,
    });
  });

  it("revalidateTag(tag) expires at once, as in Next 16: the next request is a blocking MISS with new data; untouched pages stay HITs", async () => {
    const about = await until(app.url, "/about", (v) => v.cache === "HIT", "a HIT");
    const before = await until(app.url, "/posts/hello", (v) => v.cache === "HIT", "a HIT");
    await revalidate(app.url, "tag=post:hello");
    const after = await visit(app.url, "/posts/hello");
    expect(after.cache).toBe("MISS");
    expect(after.render).not.toBe(before.render);
    expect(after.fetch, "the unstable_cache entry tagged post:hello was refetched").not.toBe(before.fetch);
    expect(await visit(app.url, "/about")).toMatchObject({ cache: "HIT", render: about.render });
  });

  it("revalidateTag(tag, 'max') is stale-while-revalidate: the next request is STALE with the old page, then a HIT with new data", async () => {
    const before = await until(app.url, "/posts/hello", (v) => v.cache === "HIT", "a HIT");
    await revalidate(app.url, "tag=post:hello&profile=max");
    const stale = await visit(app.url, "/posts/hello");
    expect(stale.cache).toBe("STALE");
    expect(stale.render).toBe(before.render);
    const fresh = await until(app.url, "/posts/hello", (v) => v.cache === "HIT" && v.fetch !== before.fetch, "a HIT with new data");
    expect(fresh.render).not.toBe(before.render);
  });

  it("revalidateTag(tag, { expire: 0 }) expires at once: the next request is a MISS", async () => {
    const before = await until(app.url, "/posts/world", (v) => v.cache === "HIT", "a HIT");
    await revalidate(app.url, "tag=post:world&expire=0");
    const after = await visit(app.url, "/posts/world");
    expect(after.cache).toBe("MISS");
    expect(after.fetch).not.toBe(before.fetch);
  });

  it("revalidatePath(path) expires that page at once, as in Next 16; another post is untouched", async () => {
    const world = await until(app.url, "/posts/world", (v) => v.cache === "HIT", "a HIT");
    const before = await until(app.url, "/posts/hello", (v) => v.cache === "HIT", "a HIT");
    await revalidate(app.url, "path=/posts/hello");
    const after = await visit(app.url, "/posts/hello");
    expect(after.cache).toBe("MISS");
    expect(after.render).not.toBe(before.render);
    const other = await visit(app.url, "/posts/world");
    expect(other.cache, "not invalidated (it may only have gone stale by time)").not.toBe("MISS");
    expect(other.render).toBe(world.render);
  });

  it("revalidatePath('/posts', 'layout') expires every page below /posts at once; /about stays a HIT", async () => {
    const about = await until(app.url, "/about", (v) => v.cache === "HIT", "a HIT");
    for (const path of ["/posts/hello", "/posts/world"]) await until(app.url, path, (v) => v.cache === "HIT", "a HIT");
    await revalidate(app.url, "path=/posts&type=layout");
    for (const path of ["/posts/hello", "/posts/world"]) expect((await visit(app.url, path)).cache, path).toBe("MISS");
    expect(await visit(app.url, "/about")).toMatchObject({ cache: "HIT", render: about.render });
  });

  it("updateTag in a Server Action (a plain form post, no JavaScript) expires at once: the editor's next request is a MISS with new data", async () => {
    const before = await until(app.url, "/posts/world", (v) => v.cache === "HIT", "a HIT");
    const form = await (await fetch(`${app.url}/admin`)).text();
    const action = /name="(\$ACTION_ID_[^"]+)"/.exec(form)?.[1];
    expect(action, "the admin form carries its Server Action id").toBeTruthy();
    const body = new FormData();
    body.set(action!.replace(/&amp;/g, "&"), "");
    body.set("tag", "post:world");
    const res = await fetch(`${app.url}/admin`, { method: "POST", body });
    await res.arrayBuffer();
    expect(res.headers.get("x-action-revalidated")).toBe("1");
    const after = await visit(app.url, "/posts/world");
    expect(after.cache).toBe("MISS");
    expect(after.fetch).not.toBe(before.fetch);
  });

  it("RSC requests: RSC: 1 with ?_rsc gets the cached payload of the same render, an unknown _rsc value is redirected, and HTML requests never get the payload", async () => {
    const html = await until(app.url, "/about", (v) => v.cache === "HIT", "a HIT");
    const rsc = await visit(app.url, "/about", { rsc: true });
    expect(rsc).toMatchObject({ status: 200, cache: "HIT", render: html.render });
    expect(rsc.contentType).toContain("text/x-component");
    const busted = await visit(app.url, "/about", { rsc: true, rscParam: "not-the-hash" });
    expect(busted.status).toBe(307);
    expect(busted.location).toBe("/about?_rsc");
    const again = await visit(app.url, "/about");
    expect(again.contentType).toContain("text/html");
    expect(again.body).toMatch(/^<!DOCTYPE html>/i);
    const paramOnly = await fetch(`${app.url}/about?_rsc`, { headers: { accept: "text/html" } });
    expect(paramOnly.headers.get("content-type"), "?_rsc without the RSC header is an HTML request").toContain("text/html");
    await paramOnly.arrayBuffer();
  });

  it("invalidations went through the coordinator Durable Object (the production setup): the state holds its published clock", async () => {
    expect(app.output()).not.toContain("ERR_COORDINATOR");
    const gc = edgeIsr(["gc", "--dry-run", "--persist-to", state, "--config", "wrangler.jsonc", "--binding", "VINEXT_KV_CACHE"]);
    expect(gc.status, gc.output).toBe(0);
    expect(gc.output).toMatch(/read the tag clock: the coordinator's snapshot \([1-9]\d* exact invalidations\)/);
  });
});
