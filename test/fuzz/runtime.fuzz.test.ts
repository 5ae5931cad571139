/**
 * The ISR pipeline fed generated paths, queries, cookies, request headers and
 * unknown params: it never throws, never answers 5xx for a page that renders,
 * never serves what one client sent (cookies, Authorization) to another, keeps
 * unknown ids within the not-found budget, and never logs more than a short,
 * escaped prefix of what a client sent.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cookieNames, isInfrastructureCookie } from "../../packages/runtime/src/cookies.js";
import { NOT_FOUND_DEFAULTS } from "../../packages/runtime/src/not-found.js";
import { createTestApp, routes } from "../../packages/runtime/test/harness.js";
import { cookieJar, hostilePath, hostileString, unknownId } from "./arbitraries.js";

const STATES = ["HIT", "STALE", "MISS", "REVALIDATED", "BYPASS"];

/** A URL a Worker can receive for a generated path and query, or undefined. */
function urlOf(path: string, query: string | undefined): string | undefined {
  try {
    return new URL(path, "https://shop.example").pathname + (query === undefined ? "" : `?${encodeURIComponent(query)}`);
  } catch {
    return undefined;
  }
}

describe("createISR under generated requests", () => {
  it("answers any path, query and cookies without throwing and without a 5xx", async () => {
    const app = createTestApp();
    await fc.assert(
      fc.asyncProperty(hostilePath, fc.option(hostileString(200), { nil: undefined }), cookieJar, async (path, query, cookie) => {
        const url = urlOf(path, query);
        if (url === undefined) return;
        const res = await app.fetch(url, { headers: { cookie } });
        await res.arrayBuffer();
        expect(res.status, url).toBeLessThan(500);
        expect(STATES, url).toContain(res.headers.get("x-edge-isr-cache"));
      }),
      { numRuns: 150, seed: 42 },
    );
    await app.drain();
  });

  it("bypasses exactly when a route's personal cookie is present, and never serves to others what such a request was answered", async () => {
    const app = createTestApp();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/", "/products/1", "/blog/a", "/account/orders"),
        cookieJar,
        fc.stringMatching(/^[A-Za-z0-9]{12,24}$/),
        fc.boolean(),
        async (path, jar, secret, bearer) => {
          const cookie = `${jar}; session=${secret}`.replace(/^; /, "");
          const headers: Record<string, string> = bearer ? { authorization: `Bearer ${secret}` } : { cookie };
          const declared =
            routes.find((r) => r.path === path || (r.path.includes(":") && path.startsWith(r.path.split(":")[0]!)))?.personalCookies ?? [];
          const personal = cookieNames(cookie).some(
            (name) =>
              !isInfrastructureCookie(name) &&
              declared.some((rule) => (rule.endsWith("*") ? name.startsWith(rule.slice(0, -1)) : name === rule)),
          );
          const res = await app.fetch(path, { headers });
          expect(res.headers.get("x-edge-isr-cache") === "BYPASS", `${path} ${JSON.stringify(headers)}`).toBe(bearer || personal);
          await res.arrayBuffer();
          await app.drain();
          const shared = await app.fetch(path);
          expect(await shared.text()).not.toContain(secret);
        },
      ),
      { numRuns: 60, seed: 99 },
    );
  });

  it("only cookies a route names make a request personal: infrastructure and undeclared cookies are served from the cache", async () => {
    const app = createTestApp();
    await app.fetch("/products/1");
    await app.drain();
    await fc.assert(
      fc.asyncProperty(cookieJar, async (cookie) => {
        const res = await app.fetch("/products/1", { headers: { cookie } });
        expect(res.headers.get("x-edge-isr-cache"), cookie).toBe("HIT");
      }),
      { numRuns: 100, seed: 7 },
    );
  });

  it("unknown params: none is stored on a dynamicParams: false route; on a default route at most the not-found budget", async () => {
    const known = new Set(["1", "2"]);
    const app = createTestApp({
      routes: [
        { path: "/listed/:id", revalidate: 60, dynamicParams: false, staticParams: () => [...known].map((id) => ({ id })) },
        { path: "/items/:id", revalidate: 60 },
      ],
      render: async (_request, { params }) =>
        new Response("<p>page</p>", { status: known.has(params.id ?? "") ? 200 : 404, headers: { "content-type": "text/html" } }),
    });
    await fc.assert(
      fc.asyncProperty(unknownId, fc.constantFrom("listed", "items"), async (id, route) => {
        if (known.has(id)) return;
        const url = urlOf(`/${route}/${encodeURIComponent(id)}`, undefined);
        if (url === undefined) return;
        const res = await app.fetch(url);
        await res.arrayBuffer();
        expect(res.status, url).toBe(404);
        // An id with a "/" matches no route: rendered unstored, like any unmatched path.
        const why = res.headers.get("x-edge-isr-bypass");
        if (route === "listed" && why !== "no ISR route matches" && why !== "the path cannot be cached")
          expect(why, url).toContain("dynamicParams: false");
      }),
      { numRuns: 300, seed: 5 },
    );
    await app.drain();
    const stored = app.counting.log.filter((line) => line.startsWith("writes "));
    expect(stored.filter((line) => line.includes("/listed/"))).toEqual([]);
    expect(stored.length).toBeLessThanOrEqual(NOT_FOUND_DEFAULTS.budget.writes);
  });

  it("logs never carry more than a short, escaped prefix of a path, a key or a tag, however KV and renders fail", async () => {
    const app = createTestApp({ renderTimeoutMs: 50 });
    let call = 0;
    app.counting.faults.before = () => (++call % 3 === 0 ? new Error("KV failed: 503") : undefined);
    await fc.assert(
      fc.asyncProperty(hostilePath, fc.boolean(), async (path, fail) => {
        const url = urlOf(path, undefined);
        if (url === undefined) return;
        app.state.fail = fail;
        await (await app.fetch(url)).arrayBuffer();
        app.clock.advance(61_000);
        await (await app.fetch(url)).arrayBuffer(); // stale: a regeneration, which may fail too
        await app.drain();
      }),
      { numRuns: 80, seed: 3 },
    );
    expect(app.logs.length).toBeGreaterThan(20);
    for (const line of app.logs) {
      expect(line, line.slice(0, 200)).toMatch(/^[\x20-\x7e]*$/); // nothing but printable ASCII: no newline, control or bidi character
      expect(line.length, line.slice(0, 200)).toBeLessThanOrEqual(600);
    }
  });
});
