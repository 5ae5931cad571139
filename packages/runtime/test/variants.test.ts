/**
 * One URL, several bodies: the page's HTML, an RSC payload (rendered per
 * client, never stored), gzip or not. Answers from the cache name every header
 * that selects the body in `Vary`; answers rendered for one client are
 * `private`. Shown through a CDN-style cache in front that honours
 * Cache-Control and Vary (test/helpers/cdn.ts, on workerd's Cache API).
 */
import { describe, expect, it } from "vitest";
import { cdnInFront } from "../../../test/helpers/cdn.js";
import { RSC_HEADERS } from "../src/cacheability.js";
import { SHARED_VARY } from "../src/serve.js";
import { cacheState, createTestApp, text } from "./harness.js";

const RSC_PAYLOAD = '0:["$","div",null,{"children":"flight"}]';
const VARIANTS = [...RSC_HEADERS.map((name) => [name, "1"] as const), ["accept", "text/x-component"] as const];

/** The harness app whose render answers an RSC request (only a bypassed render sees one) with a payload a CDN would love to keep. */
function appWithRsc() {
  return createTestApp({
    render: async (request) => {
      const rsc = RSC_HEADERS.some((name) => request.headers.has(name)) || request.headers.get("accept")?.includes("text/x-component");
      return rsc
        ? new Response(RSC_PAYLOAD, {
            headers: { "content-type": "text/x-component", "cache-control": "public, max-age=600, s-maxage=600" },
          })
        : new Response(`<!doctype html><h1>${new URL(request.url).pathname}</h1>${"<p>page</p>".repeat(60)}`, {
            headers: { "content-type": "text/html; charset=utf-8" },
          });
    },
  });
}

async function behindCdn() {
  const app = appWithRsc();
  const cdn = await cdnInFront((request) => app.fetch(new URL(request.url).pathname, { headers: request.headers }));
  const get = (path: string, headers: Record<string, string> = {}) => cdn.fetch(new Request(`https://shop.example${path}`, { headers }));
  return { app, get };
}

const kind = async (res: Response) =>
  `${res.headers.get("content-type")?.split(";")[0]} ${(await text(res)).startsWith("0:") ? "rsc" : "html"}`;

describe("variants", () => {
  it("every answer from the cache carries the Vary list and a shared Cache-Control; every bypassed one is private", async () => {
    const app = appWithRsc();
    const answers = [await app.fetch("/products/1")];
    await app.drain();
    answers.push(await app.fetch("/products/1"));
    answers.push(await app.fetch("/products/1", { headers: { "if-none-match": answers[1]!.headers.get("etag")! } }));
    app.clock.advance(61_000);
    answers.push(await app.fetch("/products/1"));
    expect(answers.map((res) => `${res.status} ${cacheState(res)}`)).toEqual(["200 MISS", "200 HIT", "304 HIT", "200 STALE"]);
    for (const res of answers) {
      expect(res.headers.get("vary")).toBe(SHARED_VARY);
      // Fresh for what is left of the 60 s; a STALE answer for none (no CDN keeps it as fresh).
      expect(res.headers.get("cache-control")).toMatch(
        cacheState(res) === "STALE" ? /^s-maxage=0, stale-while-revalidate=\d+$/ : /^s-maxage=60, stale-while-revalidate=\d+$/,
      );
    }
    expect(SHARED_VARY).toBe("RSC, Next-Router-State-Tree, Next-Router-Prefetch, Next-Router-Segment-Prefetch, Accept, Accept-Encoding");
    for (const [name, value] of VARIANTS) {
      const rsc = await app.fetch("/products/1", { headers: { [name]: value } });
      expect(cacheState(rsc)).toBe("BYPASS");
      expect(rsc.headers.get("cache-control"), name).toBe("private, no-store"); // not the render's public, s-maxage=600
    }
  });

  for (const [name, value] of VARIANTS) {
    it(`through a Vary-honouring CDN, HTML and RSC (${name}: ${value}) never answer each other, in either order`, async () => {
      const { app, get } = await behindCdn();
      // HTML first: stored by the CDN; the RSC request must not be handed that HTML.
      expect(await kind(await get("/products/1"))).toBe("text/html html");
      await app.drain();
      const cached = await get("/products/1");
      expect(cached.headers.get("x-cdn")).toBe("HIT");
      for (let i = 0; i < 2; i++) {
        const rsc = await get("/products/1", { [name]: value });
        expect(await kind(rsc)).toBe("text/x-component rsc");
        expect(rsc.headers.get("x-cdn")).toBe("MISS"); // reached the Worker, and was not kept
      }
      expect(await kind(await get("/products/1"))).toBe("text/html html");
      // RSC first, on another page: its payload is never stored, so the HTML request gets HTML.
      expect(await kind(await get("/products/2", { [name]: value }))).toBe("text/x-component rsc");
      const html = await get("/products/2");
      expect([html.headers.get("x-cdn"), await kind(html)]).toEqual(["MISS", "text/html html"]);
      await app.drain();
      expect(await kind(await get("/products/2", { [name]: value }))).toBe("text/x-component rsc");
    });
  }

  it("through the CDN, a client without gzip never gets the gzip bytes stored for one with it", async () => {
    const { app, get } = await behindCdn();
    await app.fetch("/blog/long"); // stored in KV, so the Worker answers gzip as stored
    await app.drain();
    const zipped = await get("/blog/long", { "accept-encoding": "gzip" });
    expect([zipped.headers.get("x-cdn"), cacheState(zipped), zipped.headers.get("content-encoding")]).toEqual(["MISS", "HIT", "gzip"]);
    expect((await get("/blog/long", { "accept-encoding": "gzip" })).headers.get("x-cdn")).toBe("HIT");
    const plain = await get("/blog/long", { "accept-encoding": "identity" });
    expect(plain.headers.get("x-cdn")).toBe("MISS");
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(await plain.text()).toContain("<h1>/blog/long</h1>");
  });

  it("through the CDN, a route with personal cookies is never kept: the session request gets its own page, others the shared one", async () => {
    const { get } = await behindCdn();
    const shared = await get("/account/orders");
    expect(shared.headers.get("cache-control")).toBe("private, no-cache");
    const personal = await get("/account/orders", { cookie: "session=u-7" });
    expect([personal.headers.get("x-cdn"), cacheState(personal)]).toEqual(["MISS", "BYPASS"]);
    const anonymous = await get("/account/orders");
    expect(anonymous.headers.get("x-cdn")).toBe("MISS");
    expect(cacheState(anonymous)).not.toBe("BYPASS");
  });

  it("the CDN in this test does keep what may be shared (it is not a pass-through)", async () => {
    const { app, get } = await behindCdn();
    await get("/about");
    await app.drain();
    const renders = app.state.renders;
    for (let i = 0; i < 3; i++) expect((await get("/about")).headers.get("x-cdn")).toBe("HIT");
    expect(app.state.renders).toBe(renders);
  });
});
