/**
 * Cache poisoning: nothing a client sends beyond the path and the allowed
 * query can shape the page stored for everyone. Renders of shared entries see
 * a request built from the key alone (see cache-key.ts and the README's
 * "Cache keys and Vary").
 */
import { describe, expect, it, vi } from "vitest";
import { RSC_HEADERS } from "../src/cacheability.js";
import { secretsEqual } from "../src/index.js";
import { cacheState, createTestApp, text } from "./harness.js";

/** A render that prints everything it was given: any client input that reaches it shows up in the page. */
const echo = async (request: Request) =>
  new Response(`<!doctype html><pre>${request.url}\n${[...request.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}</pre>`, {
    headers: { "content-type": "text/html; charset=utf-8" },
  });

/** Headers proxies, Next.js internals and attackers have used to steer a render. */
const HOSTILE: Record<string, string> = {
  "x-forwarded-host": "evil.example",
  "x-forwarded-proto": "http",
  forwarded: "host=evil.example;proto=http",
  "x-host": "evil.example",
  "x-original-url": "/admin",
  "x-rewrite-url": "/admin",
  "x-middleware-rewrite": "/admin",
  "x-middleware-subrequest": "middleware:middleware:middleware",
  "x-middleware-prefetch": "1",
  "x-now-route-matches": "1",
  "x-invoke-path": "/admin",
  "x-edge-isr-prerender": "guessed-token",
  "x-edge-isr-revalidate": "guessed-secret",
  accept: "application/json",
  "accept-language": "de-CH",
  "accept-encoding": "br",
  "user-agent": "evil-bot/1.0",
  purpose: "prefetch",
};

describe("cache poisoning", () => {
  it("no client header reaches the render of a shared entry, so none can shape it", async () => {
    const app = createTestApp({ render: echo });
    const poisoned = await app.fetch("/products/1?variant=red&__nextDataReq=1&_rsc=x", { headers: HOSTILE });
    expect(cacheState(poisoned)).toBe("MISS");
    const stored = await text(poisoned);
    await app.drain();
    const next = await app.fetch("/products/1?variant=red");
    expect(cacheState(next)).toBe("HIT");
    expect(await text(next)).toBe(stored);
    // The page a render sees: the key's path and allowed query, a fixed Accept, nothing else.
    const lines = stored.replace(/<\/?pre>|<!doctype html>/g, "").split("\n");
    expect(lines).toEqual(["https://shop.example/products/1?variant=red", "accept: text/html,application/xhtml+xml,*/*;q=0.8"]);
    for (const word of ["evil", "admin", "__nextDataReq", "_rsc", "guessed", "de-CH"]) expect(stored, word).not.toContain(word);
  });

  it("with `origin` set, a request through another host renders with the canonical origin", async () => {
    const app = createTestApp({ render: echo, origin: "https://shop.example/ignored/path" });
    const res = await app.fetch("/about", { origin: "https://evil.example" });
    const body = await text(res);
    expect(body).toContain("https://shop.example/about");
    expect(body).not.toContain("evil");
  });

  it("an origin that is not a URL is refused when the pipeline is built", () => {
    expect(() => createTestApp({ origin: "shop.example" })).toThrow(/ERR_OPTION_INVALID: origin "shop.example" is not a URL/);
  });

  for (const [name, value] of [...RSC_HEADERS.map((h) => [h, "1"] as const), ["accept", "text/x-component"] as const]) {
    it(`an RSC request (${name}: ${value}) is answered for its client alone and never replaces the page`, async () => {
      const app = createTestApp({
        render: async (request) =>
          request.headers.get(name)?.includes(value)
            ? new Response('0:["$","div",null,{}]', { headers: { "content-type": "text/x-component" } })
            : echo(request),
      });
      await app.fetch("/products/2");
      await app.drain();
      const rsc = await app.fetch("/products/2", { headers: { [name]: value } });
      expect(cacheState(rsc)).toBe("BYPASS");
      expect(rsc.headers.get("x-edge-isr-bypass")).toMatch(/^RSC request/);
      expect(rsc.headers.get("content-type")).toBe("text/x-component");
      await app.drain();
      const page = await app.fetch("/products/2");
      expect(cacheState(page)).toBe("HIT");
      expect(page.headers.get("content-type")).toContain("text/html");
    });
  }
});

describe("secretsEqual", () => {
  it("compares two fixed-size digests with crypto.subtle.timingSafeEqual, whatever the inputs' lengths", async () => {
    const spy = vi.spyOn(
      crypto.subtle as SubtleCrypto & { timingSafeEqual(a: ArrayBufferView, b: ArrayBufferView): boolean },
      "timingSafeEqual",
    );
    try {
      const secret = "s3cret-for-tests";
      const answers = await Promise.all(
        ["", "s", secret.slice(0, -1), `${secret}x`, "x".repeat(10_000), secret].map((given) => secretsEqual(given, secret)),
      );
      expect(answers).toEqual([false, false, false, false, false, true]);
      expect(spy).toHaveBeenCalledTimes(6);
      for (const [a, b] of spy.mock.calls) expect([a.byteLength, b.byteLength]).toEqual([32, 32]);
    } finally {
      spy.mockRestore();
    }
  });
});
