/**
 * Cookies on real traffic: Cloudflare's own and analytics cookies ride on most
 * requests, and none of them may cost a visitor the cache. Only the cookies a
 * route names as personal make a request bypass it.
 */
import { describe, expect, it } from "vitest";
import { INFRASTRUCTURE_COOKIES, cookieNames, isInfrastructureCookie, personalCookie } from "../src/cookies.js";
import { cacheState, createTestApp, routes, text } from "./harness.js";

/** Cookies a browser on a Cloudflare zone with Google Analytics carries, and one nobody declared. */
const EVERYDAY =
  "__cf_bm=a1b2.c3-1700000000-1.0.1.1-xyz; cf_clearance=Zx9-1700000000-0-1-abc; _ga=GA1.1.123.456; _gid=GA1.1.789.012; _ga_ABC123=GS1.1.1; theme=dark";

describe("cookies", () => {
  for (const path of ["/products/1", "/account/orders"]) {
    it(`__cf_bm, cf_clearance, _ga, _gid and an unknown cookie are HITs on ${path}; renders never see them`, async () => {
      const app = createTestApp();
      const first = await app.fetch(path, { headers: { cookie: EVERYDAY } });
      expect(cacheState(first)).toBe("MISS");
      expect(await text(first)).toContain("cookie:none");
      await app.drain();
      for (const cookie of [EVERYDAY, "__cf_bm=x", "cf_clearance=y", "_ga=z", "_gid=w", "never-declared=1"]) {
        const res = await app.fetch(path, { headers: { cookie } });
        expect(cacheState(res), cookie).toBe("HIT");
      }
      expect(app.state.renders).toBe(1);
    });
  }

  it("the route's declared session cookie makes a request BYPASS, rendered with its cookies for that client alone", async () => {
    const app = createTestApp();
    await app.fetch("/account/orders");
    await app.drain();
    const personal = await app.fetch("/account/orders", { headers: { cookie: `${EVERYDAY}; session=u-42` } });
    expect(cacheState(personal)).toBe("BYPASS");
    expect(personal.headers.get("x-edge-isr-bypass")).toBe("personal cookie session");
    expect(personal.headers.get("cache-control")).toBe("private, no-store");
    expect(await text(personal)).toContain("session=u-42");
    const shared = await app.fetch("/account/orders");
    expect(cacheState(shared)).toBe("HIT");
    expect(await text(shared)).not.toContain("u-42");
  });

  it("a prefix rule (sb-*) matches any cookie it names, but never an infrastructure cookie", async () => {
    const app = createTestApp({ routes: [...routes, { path: "/all/:id", revalidate: 60, personalCookies: ["*"] }] });
    expect(cacheState(await app.fetch("/account/a", { headers: { cookie: "sb-project-auth-token=t" } }))).toBe("BYPASS");
    // "*" makes any cookie personal except Cloudflare's and analytics ones.
    expect(cacheState(await app.fetch("/all/1", { headers: { cookie: "_ga=1; __cf_bm=2; _hjSession_1=3; ajs_anonymous_id=4" } }))).toBe(
      "MISS",
    );
    expect((await app.fetch("/all/1", { headers: { cookie: "_ga=1; cart=9" } })).headers.get("x-edge-isr-bypass")).toBe(
      "personal cookie cart",
    );
  });

  it("a route with personal cookies keeps its shared answers out of shared caches (private, no-cache, Vary: Cookie)", async () => {
    const app = createTestApp();
    const miss = await app.fetch("/account/orders");
    await app.drain();
    const hit = await app.fetch("/account/orders");
    for (const res of [miss, hit]) {
      expect(res.headers.get("cache-control")).toBe("private, no-cache");
      expect(res.headers.get("vary")).toMatch(/, Cookie$/);
    }
    const etag = hit.headers.get("etag")!;
    expect((await app.fetch("/account/orders", { headers: { "if-none-match": etag } })).status).toBe(304);
    // With the session cookie the browser's revalidation gets the personal page, not a 304.
    expect((await app.fetch("/account/orders", { headers: { "if-none-match": etag, cookie: "session=1" } })).status).toBe(200);
  });

  it("several Cookie headers joined by commas are all read", () => {
    expect(cookieNames("_ga=1, session=2;theme=3")).toEqual(["_ga", "session", "theme"]);
    expect(personalCookie("_ga=1, session=2", ["session"])).toBe("session");
    expect(personalCookie("_ga=1; _gid=2", ["*"])).toBeUndefined();
  });

  it("knows the infrastructure and analytics cookies the README lists", () => {
    for (const name of [
      ...INFRASTRUCTURE_COOKIES,
      "_ga_XYZ123",
      "_gat_UA-1",
      "_gcl_au",
      "_hjSessionUser_123",
      "ajs_user_id",
      "mp_abc_mixpanel",
      "cf_chl_rc_i",
    ]) {
      expect(isInfrastructureCookie(name), name).toBe(true);
    }
    for (const name of ["session", "sb-x-auth-token", "__Host-session", "ga", "cart"])
      expect(isInfrastructureCookie(name), name).toBe(false);
  });

  it.each([
    [
      { ignoreCookies: ["theme"] },
      /ERR_OPTION_INVALID: route "\/products\/:id": ignoreCookies was removed.*personalCookies: \["session"\]/,
    ],
    [{ personalCookies: ["_ga"] }, /personalCookies names "_ga", an infrastructure or analytics cookie/],
    [{ personalCookies: ["a session"] }, /personalCookies entry "a session" is not a cookie name/],
    [{ personalCookies: ["se*ss"] }, /personalCookies entry "se\*ss" is not a cookie name/],
    [{ personalCookies: "session" }, /personalCookies must be an array/],
  ])("refuses %o when the pipeline is built", (route, message) => {
    expect(() => createTestApp({ routes: [{ path: "/products/:id", revalidate: 60, ...(route as object) }] })).toThrow(message);
  });
});
