/** The headers users know, ETag/304, HEAD, and gzip served as stored. */
import { describe, expect, it } from "vitest";
import { cacheState, createTestApp, text } from "./harness.js";

describe("HTTP", () => {
  it("sets x-edge-isr-cache, x-nextjs-cache, Age, CDN Cache-Control and Server-Timing", async () => {
    const app = createTestApp();
    const miss = await app.fetch("/products/1");
    expect(miss.headers.get("x-nextjs-cache")).toBe("MISS");
    expect(miss.headers.get("cache-control")).toBe("s-maxage=60, stale-while-revalidate=3540");
    expect(miss.headers.get("server-timing")).toMatch(/^cache;desc="MISS", kv;dur=[\d.]+, render;dur=[\d.]+$/);
    await app.drain();
    app.clock.advance(30_000);
    const hit = await app.fetch("/products/1");
    expect(hit.headers.get("x-edge-isr-cache")).toBe("HIT");
    expect(hit.headers.get("x-nextjs-cache")).toBe("HIT");
    expect(hit.headers.get("age")).toBe("30");
    expect(hit.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(hit.headers.get("server-timing")).toMatch(/^cache;desc="HIT", kv;dur=/);
    const forever = await app.fetch("/about");
    expect(forever.headers.get("cache-control")).toBe("s-maxage=31536000");
  });

  it("answers If-None-Match with 304 and the ETag", async () => {
    const app = createTestApp();
    await app.fetch("/products/1");
    await app.drain();
    const hit = await app.fetch("/products/1");
    const etag = hit.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{24}"$/);
    const notModified = await app.fetch("/products/1", { headers: { "if-none-match": `W/${etag}, "other"` } });
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBeNull();
    expect(notModified.headers.get("etag")).toBe(etag);
    expect((await app.fetch("/products/1", { headers: { "if-none-match": '"other"' } })).status).toBe(200);
  });

  it("answers HEAD with headers and no body, on a miss and on a hit", async () => {
    const app = createTestApp();
    const miss = await app.fetch("/products/1", { method: "HEAD" });
    expect(miss.status).toBe(200);
    expect(cacheState(miss)).toBe("MISS");
    expect(miss.body).toBeNull();
    await app.drain();
    const hit = await app.fetch("/products/1", { method: "HEAD" });
    expect(cacheState(hit)).toBe("HIT");
    expect(hit.body).toBeNull();
  });

  it("serves the stored gzip bytes as they are to clients that accept gzip, decoded to others", async () => {
    const app = createTestApp();
    await app.fetch("/blog/long-post");
    await app.drain();
    const zipped = await app.fetch("/blog/long-post", { headers: { "accept-encoding": "gzip, br" } });
    const plain = await app.fetch("/blog/long-post", { headers: { "accept-encoding": "identity" } });
    expect(zipped.headers.get("vary")).toBe(
      "RSC, Next-Router-State-Tree, Next-Router-Prefetch, Next-Router-Segment-Prefetch, Accept, Accept-Encoding",
    );
    expect(plain.headers.get("content-encoding")).toBeNull();
    const expected = await plain.text();
    expect(expected).toContain("/blog/long-post v1");
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    expect(await text(zipped)).toBe(expected);
  });

  it("serves a body too small to compress as stored, without Content-Encoding", async () => {
    const app = createTestApp();
    await app.fetch("/about");
    await app.drain();
    const res = await app.fetch("/about", { headers: { "accept-encoding": "gzip" } });
    expect(cacheState(res)).toBe("HIT");
    expect(res.headers.get("content-encoding")).toBeNull();
    expect(await res.text()).toContain("/about v1");
  });
});
