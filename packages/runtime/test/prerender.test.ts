/** What `edge-isr prerender` relies on: the manifest, forced renders with the token, the build pointer. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BUILD_POINTER_KEY, PRERENDER_HEADER } from "../src/index.js";
import { cacheState, createTestApp, routes, text } from "./harness.js";

const token = "prerender-token";
const staticRoutes = routes.map((r) => (r.path === "/products/:id" ? { ...r, staticParams: () => [{ id: "1" }, { id: "a b" }] } : r));

describe("prerender support", () => {
  it("lists static pages and dynamic ones from staticParams, only to the prerender token", async () => {
    const app = createTestApp({ routes: staticRoutes, prerenderToken: () => token });
    const manifest = await app.fetch("/_isr/prerender-manifest", { headers: { [PRERENDER_HEADER]: token } });
    expect(await manifest.json()).toEqual({ buildId: "b1", paths: ["/", "/products/1", "/products/a%20b", "/about"], buildPointer: false });
    const anonymous = await app.fetch("/_isr/prerender-manifest");
    expect(cacheState(anonymous)).toBe("BYPASS");
    const wrong = await app.fetch("/_isr/prerender-manifest", { headers: { [PRERENDER_HEADER]: "guess" } });
    expect(cacheState(wrong)).toBe("BYPASS");
  });

  it("is disabled without a token (the default in production)", async () => {
    const app = createTestApp({ routes: staticRoutes });
    const res = await app.fetch("/_isr/prerender-manifest", { headers: { [PRERENDER_HEADER]: "" } });
    expect(cacheState(res)).toBe("BYPASS");
  });

  it("renders and stores a page for the token even when a copy exists, and names its key", async () => {
    const app = createTestApp({ routes: staticRoutes, prerenderToken: () => token });
    await app.fetch("/products/1");
    await app.drain();
    app.state.version = 2;
    const res = await app.fetch("/products/1", { headers: { [PRERENDER_HEADER]: token } });
    expect(cacheState(res)).toBe("REVALIDATED");
    expect(res.headers.get("x-edge-isr-key")).toBe("b1:/products/1");
    expect(await text(res)).toContain("v2");
    await app.drain();
    expect(await text(await app.fetch("/products/1"))).toContain("v2");
  });

  it("serves the build named by the pointer key, cached per isolate", async () => {
    const pointerKey = BUILD_POINTER_KEY;
    const app = createTestApp({ buildPointer: { kv: () => env.CACHE, cacheSeconds: 30 } });
    await env.CACHE.put(pointerKey, JSON.stringify({ current: "b2", previous: ["b1"], promotedAt: 1 }));
    try {
      await app.fetch("/about");
      await app.drain();
      expect(await app.handler.get("b2:/about")).not.toBeNull();
      expect(await app.handler.get("b1:/about")).toBeNull();
      await env.CACHE.put(pointerKey, JSON.stringify({ current: "b1", previous: ["b2"], promotedAt: 2 }));
      expect(cacheState(await app.fetch("/about"))).toBe("HIT"); // still b2 within the cache period
      app.clock.advance(31_000);
      expect(cacheState(await app.fetch("/about"))).toBe("MISS"); // now b1, which has no entry yet
    } finally {
      await env.CACHE.delete(pointerKey);
    }
  });

  it("with a pointer naming another build, the manifest says so and a prerender stores this Worker's own build", async () => {
    const app = createTestApp({
      routes: staticRoutes,
      prerenderToken: () => token,
      buildPointer: { kv: () => env.CACHE, cacheSeconds: 30 },
    });
    await env.CACHE.put(BUILD_POINTER_KEY, JSON.stringify({ current: "b0", previous: [], promotedAt: 1 }));
    try {
      const manifest = await app.fetch("/_isr/prerender-manifest", { headers: { [PRERENDER_HEADER]: token } });
      expect(await manifest.json()).toMatchObject({ buildId: "b1", buildPointer: true });
      const res = await app.fetch("/about", { headers: { [PRERENDER_HEADER]: token } });
      expect(res.headers.get("x-edge-isr-key")).toBe("b1:/about");
      await text(res);
      await app.drain();
      expect(await app.handler.get("b1:/about")).not.toBeNull();
      expect(await app.handler.get("b0:/about")).toBeNull(); // the promoted build's entries are not touched
    } finally {
      await env.CACHE.delete(BUILD_POINTER_KEY);
    }
  });
});
