/**
 * An open key space: every unknown id of a dynamic route is a URL of its own.
 * A `dynamicParams: false` route answers them without rendering or touching KV;
 * a default route stores their 404s briefly and within a per-route budget, so
 * a stream of unknown URLs can neither grow KV nor spend its write quota.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { NOT_FOUND_DEFAULTS } from "../src/not-found.js";
import type { ISROptions, ISRRoute } from "../src/index.js";
import { cacheState, createTestApp } from "./harness.js";

const KNOWN = new Set(["1", "2", "3"]);
const staticParams = () => [...KNOWN].map((id) => ({ id }));
const shop: ISRRoute<typeof env>[] = [
  { path: "/items/:id", revalidate: 60, tags: ["items"], staticParams },
  { path: "/listed/:id", revalidate: 60, dynamicParams: false, staticParams },
];
/** A catalogue that knows three items: anything else renders a 404. */
const render: ISROptions<typeof env>["render"] = async (_request, { params }) =>
  KNOWN.has(params.id ?? "")
    ? new Response(`<h1>item ${params.id}</h1>`, { headers: { "content-type": "text/html" } })
    : new Response("<h1>Not found</h1>", { status: 404, headers: { "content-type": "text/html" } });

const catalogue = (options: Partial<ISROptions<typeof env>> = {}) => createTestApp({ routes: shop, render, ...options });
/** 5,000 requests one after another take longer than vitest's default 5 s on a loaded machine. */
const LONG = 120_000;

/** KV entries under the app's handler prefix. */
async function entries(app: ReturnType<typeof createTestApp>): Promise<{ name: string; expiration?: number }[]> {
  return (await env.CACHE.list({ prefix: app.handler.prefix })).keys;
}

describe("dynamicParams: false", () => {
  it(
    "5,000 unknown ids answer 404 with 0 renders, 0 KV reads and 0 KV writes; listed ids are served and stored",
    async () => {
      const app = catalogue();
      const before = app.isr.stats.renders;
      for (let i = 0; i < 5_000; i++) {
        const res = await app.fetch(`/listed/unknown-${i}`);
        expect(res.status).toBe(404);
        expect(cacheState(res)).toBe("BYPASS");
        expect(res.headers.get("cache-control")).toBe("private, no-store");
      }
      await app.drain();
      expect(app.isr.stats.renders - before).toBe(0);
      expect(app.counting.counts).toEqual({ reads: 0, writes: 0, deletes: 0, lists: 0 });
      expect(await entries(app)).toEqual([]);
      const listed = await app.fetch("/listed/2");
      expect([listed.status, cacheState(listed)]).toEqual([200, "MISS"]);
      await app.drain();
      expect(cacheState(await app.fetch("/listed/2"))).toBe("HIT");
      expect(await entries(app)).toHaveLength(1);
    },
    LONG,
  );

  it("answers with notFound.response when given, and reads staticParams once per isolate however many requests wait", async () => {
    let loads = 0;
    const app = createTestApp({
      routes: [{ path: "/listed/:id", revalidate: 60, dynamicParams: false, staticParams: async () => (loads++, staticParams()) }],
      render,
      notFound: {
        response: () =>
          new Response("<h1>No such item</h1>", { status: 404, headers: { "content-type": "text/html", "cache-control": "no-store" } }),
      },
    });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => app.fetch(`/listed/x${i}`)));
    expect(new Set(await Promise.all(answers.map((res) => res.text())))).toEqual(new Set(["<h1>No such item</h1>"]));
    expect(answers[0]!.headers.get("cache-control")).toBe("no-store");
    expect(loads).toBe(1);
  });

  it("a notFound.response that throws is reported and a plain 404 answered", async () => {
    const app = createTestApp({ routes: shop, render, notFound: { response: () => Promise.reject(new Error("template missing")) } });
    const res = await app.fetch("/listed/nope");
    expect([res.status, await res.text()]).toEqual([404, "Not Found"]);
    expect(app.errors.join("\n")).toMatch(/notFound.response failed for "\/listed\/nope".*template missing/);
  });

  it("a staticParams that fails is reported and the route serves as a dynamic one meanwhile (404s within the budget)", async () => {
    const app = createTestApp({
      routes: [{ path: "/listed/:id", revalidate: 60, dynamicParams: false, staticParams: () => Promise.reject(new Error("db down")) }],
      render,
    });
    const res = await app.fetch("/listed/1");
    expect([res.status, cacheState(res)]).toEqual([200, "MISS"]);
    expect(app.errors.join("\n")).toMatch(
      /ERR_STATIC_PARAMS: route "\/listed\/:id" has dynamicParams: false but its pages could not be listed.*db down/,
    );
  });

  it("refuses a dynamic route with dynamicParams: false and no staticParams", () => {
    expect(() => createTestApp({ routes: [{ path: "/listed/:id", revalidate: 60, dynamicParams: false }] })).toThrow(
      /ERR_ROUTE_INVALID: route "\/listed\/:id" has dynamicParams: false but no staticParams/,
    );
  });
});

describe("404s on a default route", () => {
  const { writes, perSeconds } = NOT_FOUND_DEFAULTS.budget;

  it(
    `5,000 unknown ids in one instant store at most ${writes} entries (${writes} writes); every answer is still a 404`,
    async () => {
      const app = catalogue();
      const states = new Map<string, number>();
      for (let i = 0; i < 5_000; i++) {
        const res = await app.fetch(`/items/unknown-${i}`);
        expect(res.status).toBe(404);
        states.set(cacheState(res)!, (states.get(cacheState(res)!) ?? 0) + 1);
      }
      await app.drain();
      expect(app.counting.counts.writes).toBe(writes);
      expect(await entries(app)).toHaveLength(writes);
      expect(Object.fromEntries(states)).toEqual({ MISS: writes, BYPASS: 5_000 - writes });
      const over = await app.fetch("/items/one-more");
      expect(over.headers.get("x-edge-isr-bypass")).toBe("not-found budget spent: this 404 is not stored");
      expect(over.headers.get("cache-control")).toBe("private, no-store");
      // Real pages are not affected by the budget.
      expect(cacheState(await app.fetch("/items/1"))).toBe("MISS");
    },
    LONG,
  );

  it(
    `5,000 unknown ids, one a second, write at most ${writes} + one per ${perSeconds / writes} s`,
    async () => {
      const app = catalogue();
      for (let i = 0; i < 5_000; i++) {
        expect((await app.fetch(`/items/unknown-${i}`)).status).toBe(404);
        app.clock.advance(1_000);
      }
      await app.drain();
      const bound = writes + Math.floor(5_000 / (perSeconds / writes));
      expect(app.counting.counts.writes).toBeGreaterThan(writes); // the bucket refills…
      expect(app.counting.counts.writes).toBeLessThanOrEqual(bound); // …at the documented rate
    },
    LONG,
  );

  it(`a stored 404 lives ${NOT_FOUND_DEFAULTS.seconds} s in KV, not a year; a known 404 is a HIT meanwhile`, async () => {
    const app = catalogue();
    const startedSec = Math.floor(Date.now() / 1000);
    expect(cacheState(await app.fetch("/items/gone"))).toBe("MISS");
    await app.drain();
    const hit = await app.fetch("/items/gone");
    expect([hit.status, cacheState(hit)]).toEqual([404, "HIT"]);
    expect(hit.headers.get("cache-control")).toBe(`s-maxage=${NOT_FOUND_DEFAULTS.seconds}`);
    const [entry] = await entries(app);
    expect(entry!.expiration! - startedSec).toBeGreaterThanOrEqual(NOT_FOUND_DEFAULTS.seconds - 1);
    expect(entry!.expiration! - startedSec).toBeLessThanOrEqual(NOT_FOUND_DEFAULTS.seconds + 5);
    app.clock.advance(NOT_FOUND_DEFAULTS.seconds * 1000);
    expect(cacheState(await app.fetch("/items/gone"))).toBe("MISS");
  });

  it("notFound.seconds and notFound.budget are honoured, and bad values refused", async () => {
    const app = catalogue({ notFound: { seconds: 60, budget: { writes: 2, perSeconds: 60 } } });
    for (let i = 0; i < 10; i++) await app.fetch(`/items/u${i}`);
    await app.drain();
    expect(app.counting.counts.writes).toBe(2);
    expect((await app.fetch("/items/u0")).headers.get("cache-control")).toBe("s-maxage=60");
    expect(() => catalogue({ notFound: { seconds: 0 } })).toThrow(
      /ERR_OPTION_INVALID: notFound.seconds 0 must be a whole number of seconds/,
    );
    expect(() => catalogue({ notFound: { budget: { writes: -1, perSeconds: 60 } } })).toThrow(/ERR_OPTION_INVALID: notFound.budget/);
  });
});
