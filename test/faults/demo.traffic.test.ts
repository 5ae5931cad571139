/**
 * The demo's routes under real traffic, in workerd: the cookies a browser on a
 * Cloudflare zone carries are HITs, a stream of unknown product ids costs no
 * render and no KV operation, and unknown reviews pages stay within the
 * not-found budget.
 */
import { describe, expect, it } from "vitest";
import { NOT_FOUND_DEFAULTS } from "../../packages/runtime/src/not-found.js";
import { PAGES, openShop } from "./shop.js";

/**
 * Lets pending timers run. React's server renderer leaves a 0 ms timer per
 * render; separate requests would each let theirs run, but one test's loop of
 * 5,000 renders would pile them up past workerd's 10,000 active timers.
 */
const timersRun = () => new Promise((resolve) => setTimeout(resolve, 0));

const COOKIES = "__cf_bm=a.b-1-1.0.1.1-x; cf_clearance=c-1-0-1-d; _ga=GA1.1.1.1; _gid=GA1.1.2.2; basket=3";

describe("the demo under real traffic", () => {
  it("answers browsers carrying __cf_bm, cf_clearance, _ga, _gid and its own basket cookie from the cache", async () => {
    const shop = openShop();
    for (const path of PAGES) await shop.get(path);
    await shop.drain();
    for (const path of PAGES) expect((await shop.get(path, { cookie: COOKIES })).headers.get("x-edge-isr-cache"), path).toBe("HIT");
  });

  it("5,000 unknown product ids: 404s with no render and no KV operation", async () => {
    const shop = openShop();
    const renders = shop.stats().renders;
    shop.counting.reset();
    for (let i = 0; i < 5_000; i++) {
      const res = await shop.get(`/products/${i + 100}`);
      expect(res.status).toBe(404);
      await res.arrayBuffer();
      if (i % 1000 === 999) await timersRun();
    }
    await shop.drain();
    expect(shop.stats().renders - renders).toBe(0);
    expect(shop.counting.counts).toEqual({ reads: 0, writes: 0, deletes: 0, lists: 0 });
  }, 120_000);

  it(`5,000 unknown reviews pages: at most ${NOT_FOUND_DEFAULTS.budget.writes} KV writes (the not-found budget)`, async () => {
    const shop = openShop(undefined, undefined, { defaultNotFoundBudget: true });
    shop.counting.reset();
    for (let i = 0; i < 5_000; i++) {
      expect((await shop.get(`/products/${i + 100}/reviews`)).status).toBe(404);
      if (i % 1000 === 999) await timersRun();
    }
    await shop.drain();
    expect(shop.counting.counts.writes).toBe(NOT_FOUND_DEFAULTS.budget.writes);
  }, 120_000);
});
