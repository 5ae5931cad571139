/**
 * The ISR pipeline fed generated paths, queries and request headers: it never
 * throws, never answers 5xx for a page that renders, and never serves what one
 * client sent (cookies, Authorization) to another.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createTestApp } from "../../packages/runtime/test/harness.js";
import { hostilePath, hostileString } from "./arbitraries.js";

const STATES = ["HIT", "STALE", "MISS", "REVALIDATED", "BYPASS"];

describe("createISR under generated requests", () => {
  it("answers any path and query without throwing and without a 5xx", async () => {
    const app = createTestApp();
    await fc.assert(
      fc.asyncProperty(hostilePath, fc.option(hostileString(200), { nil: undefined }), async (path, query) => {
        let url: string;
        try {
          url = new URL(`${path}${query === undefined ? "" : `?${query}`}`, "https://shop.example").pathname + (query === undefined ? "" : `?${encodeURIComponent(query)}`);
        } catch {
          return; // not a URL a Worker can receive
        }
        const res = await app.fetch(url);
        await res.arrayBuffer();
        expect(res.status, url).toBeLessThan(500);
        expect(STATES, url).toContain(res.headers.get("x-edge-isr-cache"));
      }),
      { numRuns: 150, seed: 42 },
    );
    await app.drain();
  });

  it("never stores or serves to others what a request with cookies or Authorization was answered", async () => {
    const app = createTestApp();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/", "/products/1", "/blog/a", "/about"),
        fc.stringMatching(/^[A-Za-z0-9]{8,24}$/),
        fc.constantFrom("cookie", "authorization"),
        async (path, secret, header) => {
          const value = header === "cookie" ? `session=${secret}` : `Bearer ${secret}`;
          const personal = await app.fetch(path, { headers: { [header]: value } });
          expect(personal.headers.get("x-edge-isr-cache")).toBe("BYPASS");
          await personal.arrayBuffer();
          await app.drain();
          const shared = await app.fetch(path);
          expect(await shared.text()).not.toContain(secret);
        },
      ),
      { numRuns: 40, seed: 99 },
    );
  });
});
