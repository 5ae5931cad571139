/** HIT → STALE → HIT, the thundering herd, and failed regenerations. */
import { describe, expect, it } from "vitest";
import { cacheState, createTestApp, text } from "./harness.js";

describe("stale-while-revalidate", () => {
  it("goes MISS → HIT → STALE (old body, background render) → HIT with the new body", async () => {
    const app = createTestApp();
    const first = await app.fetch("/products/1");
    expect(cacheState(first)).toBe("MISS");
    expect(await text(first)).toContain("v1");
    await app.drain();

    const hit = await app.fetch("/products/1");
    expect(cacheState(hit)).toBe("HIT");
    expect(await text(hit)).toContain("v1");
    expect(app.state.renders).toBe(1);

    app.clock.advance(61_000);
    app.state.version = 2;
    const stale = await app.fetch("/products/1");
    expect(cacheState(stale)).toBe("STALE");
    expect(await text(stale)).toContain("v1");
    await app.drain();
    expect(app.state.renders).toBe(2);

    const fresh = await app.fetch("/products/1");
    expect(cacheState(fresh)).toBe("HIT");
    expect(await text(fresh)).toContain("v2");
  });

  it("answers 1,000 concurrent requests to a stale page with exactly one render", async () => {
    const app = createTestApp();
    await app.fetch("/products/2");
    await app.drain();
    app.clock.advance(61_000);
    app.state.version = 2;
    const before = app.state.renders;
    const responses = await Promise.all(Array.from({ length: 1000 }, () => app.fetch("/products/2")));
    await app.drain();
    expect(responses.every((r) => r.status === 200 && cacheState(r) === "STALE")).toBe(true);
    expect(app.state.renders - before).toBe(1);
    expect(await text(await app.fetch("/products/2"))).toContain("v2");
  }, 30_000); // 1,000 requests through workerd: minutes on a loaded 2-core machine are not a failure

  it("answers 1,000 concurrent requests to a page never rendered with exactly one render", async () => {
    const app = createTestApp();
    let release!: () => void;
    app.state.delay = new Promise<void>((resolve) => (release = resolve));
    const pending = Array.from({ length: 1000 }, () => app.fetch("/products/3"));
    release();
    const responses = await Promise.all(pending);
    await app.drain();
    expect(app.state.renders).toBe(1);
    const bodies = new Set(await Promise.all(responses.map(text)));
    expect(bodies.size).toBe(1);
    expect(responses.filter((r) => cacheState(r) === "MISS")).toHaveLength(1000);
    expect(cacheState(await app.fetch("/products/3"))).toBe("HIT");
  }, 30_000);

  it("keeps serving the stale copy when regeneration fails, and retries after a backoff", async () => {
    const app = createTestApp();
    await app.fetch("/products/4");
    await app.drain();
    app.clock.advance(61_000);
    app.state.fail = true;

    const stale = await app.fetch("/products/4");
    expect(stale.status).toBe(200);
    expect(cacheState(stale)).toBe("STALE");
    await app.drain();
    expect(app.errors.some((e) => e.includes("ERR_RENDER_FAILED") && e.includes("retrying in 3 s"))).toBe(true);

    // Re-stored with a 3 s backoff: served as a HIT (old body) until then, no render.
    const rendersAfterFailure = app.state.renders;
    const held = await app.fetch("/products/4");
    expect(held.status).toBe(200);
    expect(await text(held)).toContain("v1");
    expect(app.state.renders).toBe(rendersAfterFailure);
    expect((await app.handler.get("b1:/products/4"))?.cacheControl?.revalidate).toBe(3);

    app.clock.advance(3_000);
    expect((await app.fetch("/products/4")).status).toBe(200);
    await app.drain();
    expect((await app.handler.get("b1:/products/4"))?.cacheControl?.revalidate).toBe(6);

    app.state.fail = false;
    app.state.version = 2;
    app.clock.advance(6_000);
    expect(cacheState(await app.fetch("/products/4"))).toBe("STALE");
    await app.drain();
    const healed = await app.fetch("/products/4");
    expect(await text(healed)).toContain("v2");
    expect((await app.handler.get("b1:/products/4"))?.cacheControl?.revalidate).toBe(60);
  });

  it("a render that times out during regeneration keeps the stale copy", async () => {
    const app = createTestApp({ renderTimeoutMs: 20 });
    await app.fetch("/about");
    await app.drain();
    await app.handler.revalidateTag("_N_T_/about", {}); // stale, served while it regenerates
    app.state.delay = new Promise(() => {}); // never finishes
    const res = await app.fetch("/about");
    expect(res.status).toBe(200);
    expect(cacheState(res)).toBe("STALE");
    await app.drain();
    expect(app.errors.some((e) => e.includes("ERR_RENDER_TIMEOUT"))).toBe(true);
  });

  it("a render that fails with no stored copy gives the app's error response, not cached", async () => {
    const app = createTestApp({ renderError: () => new Response("<h1>Sorry</h1>", { status: 503, headers: { "retry-after": "5" } }) });
    app.state.fail = true;
    const res = await app.fetch("/products/5");
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("<h1>Sorry</h1>");
    await app.drain();
    expect(await app.handler.get("b1:/products/5")).toBeNull();
    app.state.fail = false;
    expect(cacheState(await app.fetch("/products/5"))).toBe("MISS");
  });

  it("without a renderError option a failed first render is a plain 500", async () => {
    const app = createTestApp();
    app.state.fail = true;
    const res = await app.fetch("/products/6");
    expect(res.status).toBe(500);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});
