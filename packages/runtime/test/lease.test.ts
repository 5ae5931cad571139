/** Across isolates, a KV lease bounds duplicate regenerations of one stale page. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { manualClock } from "../../../test/helpers/clock.js";
import { cacheState, createTestApp } from "./harness.js";

describe("regeneration lease", () => {
  it("isolates that see another's lease keep serving stale instead of rendering", async () => {
    const clock = manualClock();
    const handlerPrefix = `lease-${crypto.randomUUID().slice(0, 8)}/`;
    const lease = { kv: () => env.CACHE, seconds: 30 };
    const isolates = Array.from({ length: 5 }, () => createTestApp({ lease }, { clock, handlerPrefix }));
    await isolates[0]!.fetch("/products/1");
    await isolates[0]!.drain();
    clock.advance(61_000);
    let release!: () => void;
    isolates[0]!.state.delay = new Promise<void>((resolve) => (release = resolve));
    expect(cacheState(await isolates[0]!.fetch("/products/1"))).toBe("STALE");
    // Wait until isolate 0 holds the lease and is rendering (a state, not a duration).
    while (isolates[0]!.state.renders < 2) await new Promise((resolve) => setTimeout(resolve, 1));
    const others = await Promise.all(isolates.slice(1).map((app) => app.fetch("/products/1")));
    expect(others.map(cacheState)).toEqual(Array(4).fill("STALE"));
    release();
    await Promise.all(isolates.map((app) => app.drain()));
    expect(isolates.slice(1).map((app) => app.state.renders)).toEqual([0, 0, 0, 0]);
    expect(isolates[0]!.state.renders).toBe(2);
  });

  it("isolates that all read 'no lease' at once all render: never none (the page must not stay stale)", async () => {
    const clock = manualClock();
    const handlerPrefix = `race-${crypto.randomUUID().slice(0, 8)}/`;
    const kv = env.CACHE;
    // Every isolate's first read sees no lease before any of them writes: the race a lease cannot settle.
    let reads = 0;
    let release!: () => void;
    const allRead = new Promise<void>((resolve) => (release = resolve));
    const racing = {
      async get(key: string) {
        const value = await kv.get(key);
        if (++reads <= 5) {
          if (reads === 5) release();
          await allRead;
        }
        return value;
      },
      put: (key: string, value: string, options?: { expirationTtl?: number }) => kv.put(key, value, options),
    };
    const isolates = Array.from({ length: 5 }, () => createTestApp({ lease: { kv: () => racing, seconds: 30 } }, { clock, handlerPrefix }));
    await isolates[0]!.fetch("/products/77");
    await isolates[0]!.drain();
    const before = isolates.reduce((sum, app) => sum + app.state.renders, 0);
    clock.advance(61_000);
    await Promise.all(isolates.map((app) => app.fetch("/products/77")));
    await Promise.all(isolates.map((app) => app.drain()));
    expect(isolates.reduce((sum, app) => sum + app.state.renders, 0) - before).toBe(5);
    // And the page is fresh again for everyone.
    expect(cacheState(await isolates[3]!.fetch("/products/77"))).toBe("HIT");
  });

  it("without a lease each isolate regenerates once", async () => {
    const clock = manualClock();
    const handlerPrefix = `nolease-${crypto.randomUUID().slice(0, 8)}/`;
    const isolates = Array.from({ length: 5 }, () => createTestApp({}, { clock, handlerPrefix }));
    await isolates[0]!.fetch("/products/77");
    await isolates[0]!.drain();
    clock.advance(61_000);
    await Promise.all(isolates.map((app) => app.fetch("/products/77")));
    await Promise.all(isolates.map((app) => app.drain()));
    expect(isolates.reduce((sum, app) => sum + app.state.renders, 0) - 1).toBe(5);
  });
});
