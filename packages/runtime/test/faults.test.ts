/**
 * The pipeline's own bound on a cache read, whatever the handler: a handler
 * that never answers is a miss after `cacheTimeoutMs`. (The demo's routes under
 * every kind of KV fault are in test/faults.)
 */
import { describe, expect, it } from "vitest";
import { createTestApp } from "./harness.js";

describe("a cache that does not answer", () => {
  it("reads hanging past cacheTimeoutMs: the page renders instead", async () => {
    const app = createTestApp({ cacheTimeoutMs: 30 });
    await app.fetch("/about");
    await app.drain();
    const hang = new Promise<never>(() => {});
    app.handler.getEncoded = () => hang;
    app.handler.get = () => hang;
    const res = await app.fetch("/about");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-edge-isr-cache")).toBe("MISS");
    expect(app.errors.join("\n")).toContain("ERR_CACHE_READ");
  });

  it("a build pointer read hanging past cacheTimeoutMs: the configured build is served", async () => {
    const hang = new Promise<never>(() => {});
    const app = createTestApp({ cacheTimeoutMs: 30, buildPointer: { kv: () => ({ get: () => hang }) } });
    const res = await app.fetch("/about");
    expect(res.status).toBe(200);
    await app.drain();
    expect((await app.fetch("/about")).headers.get("x-edge-isr-cache")).toBe("HIT");
  });

  it("a lease hanging past cacheTimeoutMs: the stale page still regenerates", async () => {
    const hang = new Promise<never>(() => {});
    const app = createTestApp({ cacheTimeoutMs: 30, lease: { kv: () => ({ get: () => hang, put: () => hang }) } });
    await app.fetch("/products/1");
    await app.drain();
    app.clock.advance(61_000);
    app.state.version = 2;
    expect((await app.fetch("/products/1")).headers.get("x-edge-isr-cache")).toBe("STALE");
    await app.drain();
    const res = await app.fetch("/products/1");
    expect(res.headers.get("x-edge-isr-cache")).toBe("HIT");
    expect(await res.text()).toContain("v2");
    expect(app.errors.join("\n")).toContain("ERR_LEASE");
  });
});
