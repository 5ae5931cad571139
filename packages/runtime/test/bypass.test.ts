/** What is never cached, and cache keys that cannot be poisoned or exploded. */
import { describe, expect, it } from "vitest";
import { cacheState, createTestApp } from "./harness.js";

describe("never cached", () => {
  for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
    it(`${method} bypasses the cache`, async () => {
      const app = createTestApp();
      const res = await app.fetch("/products/1", { method, body: method === "DELETE" ? undefined : "x" });
      expect(cacheState(res)).toBe("BYPASS");
      await app.drain();
      expect(await app.handler.get("b1:/products/1")).toBeNull();
    });
  }

  it("a request with Authorization is neither served from nor stored in the cache", async () => {
    const app = createTestApp();
    await app.fetch("/products/1");
    await app.drain();
    const res = await app.fetch("/products/1", { headers: { authorization: "Bearer user-token" } });
    expect(cacheState(res)).toBe("BYPASS");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
  });

  for (const [header, value] of [
    ["set-cookie", "session=abc"],
    ["cache-control", "private, max-age=60"],
    ["cache-control", "no-store"],
    ["cache-control", "public, max-age=0, no-store"],
    ["vary", "*"],
  ] as const) {
    it(`a response with ${header}: ${value} is not stored`, async () => {
      const app = createTestApp();
      app.state.headers = { [header]: value };
      const first = await app.fetch("/products/1");
      expect(cacheState(first)).toBe("BYPASS");
      await app.drain();
      expect(await app.handler.get("b1:/products/1")).toBeNull();
      app.state.headers = {};
      expect(cacheState(await app.fetch("/products/1"))).toBe("MISS");
    });
  }

  it("a 500 is not stored; a 404 is (it is in the allow-list)", async () => {
    const app = createTestApp();
    app.state.status = 500;
    expect(cacheState(await app.fetch("/products/1"))).toBe("BYPASS");
    await app.drain();
    expect(await app.handler.get("b1:/products/1")).toBeNull();
    app.state.status = 404;
    expect(cacheState(await app.fetch("/products/2"))).toBe("MISS");
    await app.drain();
    const again = await app.fetch("/products/2");
    expect(cacheState(again)).toBe("HIT");
    expect(again.status).toBe(404);
  });

  it("paths no route matches are rendered, not cached", async () => {
    const app = createTestApp();
    const res = await app.fetch("/not-a-route");
    expect(cacheState(res)).toBe("BYPASS");
    expect(res.headers.get("x-edge-isr-bypass")).toBe("no ISR route matches");
  });
});

describe("cache keys", () => {
  it("ignore query parameters the route did not allow, and sort the allowed ones", async () => {
    const app = createTestApp();
    await app.fetch("/products/1?utm_source=mail&variant=red");
    await app.drain();
    expect(cacheState(await app.fetch("/products/1?variant=red&fbclid=x"))).toBe("HIT");
    expect(cacheState(await app.fetch("/products/1?variant=blue"))).toBe("MISS");
    expect(app.state.renders).toBe(2);
  });

  it("ignore the Host and forwarding headers: another origin cannot create or poison entries", async () => {
    const app = createTestApp();
    await app.fetch("/products/1");
    await app.drain();
    const res = await app.fetch("/products/1", {
      origin: "https://evil.example",
      headers: { "x-forwarded-host": "evil.example", host: "evil.example" },
    });
    expect(cacheState(res)).toBe("HIT");
    expect(app.state.renders).toBe(1);
  });

  it("treat equivalent spellings of a path as one entry", async () => {
    const app = createTestApp();
    await app.fetch("/products/1");
    await app.drain();
    for (const spelling of ["/products/1/", "//products//1", "/products/./1", "/x/../products/1", "/products/%31"]) {
      expect(cacheState(await app.fetch(spelling)), spelling).toBe("HIT");
    }
  });

  it("bypass paths that cannot be cached (malformed escapes, NUL, very long)", async () => {
    const app = createTestApp();
    for (const path of ["/products/%E0%A4%A", "/products/a%00b", `/products/${"x".repeat(3000)}`]) {
      expect(cacheState(await app.fetch(path)), path.slice(0, 30)).toBe("BYPASS");
    }
  });
});
