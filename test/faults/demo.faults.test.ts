/**
 * The demo's routes while Workers KV misbehaves: failing at 10/30/100 %,
 * hanging, answering 429, returning truncated, corrupted or older values.
 * For each: no page answers 5xx, every page shows what it should, stored
 * copies are served while they can be read, no entry is left half-written,
 * and the cache heals by itself once KV does.
 */
import { env } from "cloudflare:test";
import { decodeEntry, ENTRY_PREFIX, HASHED_PREFIX, parseMetadata } from "@edge-isr/kv-cache-handler";
import { describe, expect, it } from "vitest";
import { getProduct } from "../../apps/demo/src/db.js";
import { prng } from "../../benchmarks/shared/prng.js";
import { ADMIN_SECRET, MISSING, PAGES, type Shop, WINDOW_SECONDS, openShop, visible } from "./shop.js";

/** What a visitor must see on each page, from the demo's database as it is now. */
async function expected(path: string): Promise<string> {
  if (path === "/") return "Catalogue";
  const id = /^\/products\/([^/]+)/.exec(path)![1]!;
  const product = await getProduct(env.DB, id);
  if (!product) return "Not found";
  return path.endsWith("/reviews") ? `Reviews of ${product.name}` : product.name;
}

interface Seen {
  path: string;
  status: number;
  state: string | null;
  shown: string;
  want: string;
}

/** Requests every page once, all at once, as concurrent visitors would. */
async function visitAll(shop: Shop): Promise<Seen[]> {
  return Promise.all(
    PAGES.map(async (path) => {
      const res = await shop.get(path);
      return {
        path,
        status: res.status,
        state: res.headers.get("x-edge-isr-cache"),
        shown: await visible(res),
        want: await expected(path),
      };
    }),
  );
}

/** Every page answered as it should be: no 5xx, the right status, the right content. */
function expectServed(seen: Seen[]) {
  for (const s of seen) {
    expect(s.status, `${s.path} (${s.state})`).toBe(MISSING.has(s.path) ? 404 : 200);
    expect(s.shown, `${s.path} (${s.state})`).toBe(s.want);
  }
}

/** Every KV entry under the shop's prefix is whole: its bytes decode and agree with its metadata. */
async function expectIntact(prefix: string) {
  let checked = 0;
  for (const group of [ENTRY_PREFIX, HASHED_PREFIX]) {
    const { keys } = await env.CACHE.list({ prefix: prefix + group });
    for (const { name } of keys) {
      const { value, metadata } = await env.CACHE.getWithMetadata(name, "arrayBuffer");
      if (!value) continue; // deleted since the list
      const md = parseMetadata(metadata);
      expect(md, name).toBeDefined();
      const entry = await decodeEntry(new Uint8Array(value));
      expect(entry.lastModified, name).toBe(md!.m);
      expect(value.byteLength, name).toBe(md!.z);
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(0);
}

/** What KV answers now for every key under `prefix`: replayed later as a lagging replica's answers. */
async function snapshot(prefix: string) {
  const answers = new Map<string, { value: ArrayBuffer | null; metadata: unknown }>();
  for (const { name } of (await env.CACHE.list({ prefix })).keys) answers.set(name, await env.CACHE.getWithMetadata(name, "arrayBuffer"));
  return answers;
}

/** Edits a product through the demo's admin forms (real POSTs: sign in, then edit), as its /admin page does. */
async function edit(shop: Shop, id: string, name: string, mode: "expire" | "stale" = "expire") {
  const form = new URLSearchParams({ name, price: "9.99", mode });
  const res = await shop.post(`/admin/products/${id}`, form, {
    "content-type": "application/x-www-form-urlencoded",
    cookie: await shop.signIn(),
  });
  expect(res.status, await res.clone().text()).toBe(303);
}

/** After a fault: time passes beyond the window, pages regenerate, and every page is a HIT again. */
async function expectHealed(shop: Shop) {
  shop.counting.faults.before = undefined;
  shop.counting.faults.read = undefined;
  shop.clock.advance((WINDOW_SECONDS + 1) * 1000);
  // STALE pages may show the version before an edit: that is stale-while-revalidate.
  const first = await visitAll(shop);
  expect(first.filter((s) => s.status !== (MISSING.has(s.path) ? 404 : 200))).toEqual([]);
  await shop.drain();
  const after = await visitAll(shop);
  expectServed(after);
  expect(after.map((s) => `${s.path} ${s.state}`)).toEqual(PAGES.map((p) => `${p} HIT`));
  await expectIntact(shop.prefix);
}

async function warm(shop: Shop) {
  expectServed(await visitAll(shop));
  await shop.drain();
}

describe("the demo under KV faults", () => {
  it.each([
    [0.1, 11],
    [0.3, 12],
    [1, 13],
  ])("with %d of KV operations failing (writes with 429), no page is a 5xx and the cache heals", async (rate, seed) => {
    const shop = openShop();
    await warm(shop);
    const random = prng(seed);
    let injected = 0;
    shop.counting.faults.before = (op) => {
      if (random() >= rate) return undefined;
      injected++;
      return new Error(
        op === "writes" || op === "deletes" ? "KV PUT failed: 429 Too Many Requests" : `KV ${op} failed: 503 Service Unavailable`,
      );
    };
    const seen: Seen[] = [];
    const endpoint: number[] = [];
    for (let round = 1; round <= 24; round++) {
      seen.push(...(await visitAll(shop)));
      if (round % 6 === 0) {
        // An edit (expire): the very next view in this isolate shows it, whatever KV does.
        await edit(shop, "3", `Kombucha, batch ${seed}-${round}`);
        const after = await shop.get("/products/3");
        expect(await visible(after)).toBe(`Kombucha, batch ${seed}-${round}`);
      }
      if (round % 4 === 0) {
        const res = await shop.post("/_isr/revalidate", JSON.stringify({ tags: ["product:2"] }), {
          authorization: `Bearer ${ADMIN_SECRET}`,
        });
        endpoint.push(res.status);
        // 200, or 503 "try again" when the invalidation did not reach KV: never a crash.
        if (res.status !== 200) expect(await res.json()).toMatchObject({ error: expect.stringContaining("try again") });
      }
      shop.clock.advance(7_000);
      await shop.drain();
    }
    // The figures docs/reliability.md quotes.
    const count = (state: string) => seen.filter((s) => s.state === state).length;
    console.info(
      `[faults] ${rate * 100} %: ${seen.length} page responses, ${injected} KV faults injected, ${seen.filter((s) => s.status >= 500).length} 5xx, ` +
        `HIT ${count("HIT")} / STALE ${count("STALE")} / MISS ${count("MISS")}, endpoint ${endpoint.filter((x) => x === 200).length}×200 ${endpoint.filter((x) => x === 503).length}×503`,
    );
    expect(injected).toBeGreaterThan(rate === 1 ? 200 : 20);
    expect(seen.filter((s) => s.status >= 500)).toEqual([]);
    expectServed(seen);
    expect(endpoint.every((status) => status === 200 || status === 503)).toBe(true);
    const stored = seen.filter((s) => s.state === "HIT" || s.state === "STALE").length;
    // Stored copies are served whenever KV can be read at all; at 100 % every page is rendered.
    if (rate < 1) expect(stored).toBeGreaterThan(seen.length * (1 - rate) * 0.5);
    else expect(stored).toBe(0);
    await expectHealed(shop);
  });

  it("KV hanging past the timeouts: pages render instead, nothing waits for KV, and writes resume after", async () => {
    const shop = openShop();
    await warm(shop);
    shop.counting.faults.before = () => "hang";
    const during = await visitAll(shop);
    expectServed(during);
    expect(new Set(during.map((s) => s.state))).toEqual(new Set(["MISS"]));
    // An edit while KV hangs: shown at once in this isolate; its KV writes time out.
    await edit(shop, "4", "Isolate Iced Tea, hung");
    expect(await visible(await shop.get("/products/4"))).toBe("Isolate Iced Tea, hung");
    const revalidate = await shop.post("/_isr/revalidate", JSON.stringify({ tags: ["products"] }), {
      authorization: `Bearer ${ADMIN_SECRET}`,
    });
    expect(revalidate.status).toBe(503);
    await shop.drain(); // returns: every hung write gave up after writeTimeoutMs
    expect(shop.reported).toContain("ERR_KV_TIMEOUT");
    // A key whose write hung is written again once KV answers (its queue is not wedged).
    await expectHealed(shop);
    const other = openShop({ prefix: shop.prefix, clock: shop.clock });
    expect(await visible(await other.get("/products/4"))).toBe("Isolate Iced Tea, hung");
  });

  it("writes answered 429 for a while: pages keep being served, and the first write after lands", async () => {
    const shop = openShop();
    await warm(shop);
    let refused = 0;
    shop.counting.faults.before = (op) => (op === "writes" ? (refused++, new Error("KV PUT failed: 429 Too Many Requests")) : undefined);
    await edit(shop, "5", "Prerendered Pretzel, salted");
    shop.clock.advance((WINDOW_SECONDS + 1) * 1000);
    for (let round = 0; round < 3; round++) {
      expectServed(await visitAll(shop));
      await shop.drain();
    }
    expect(refused).toBeGreaterThan(PAGES.length);
    expect(shop.reported).toContain("ERR_KV_WRITE");
    await expectHealed(shop);
    expect(await visible(await openShop({ prefix: shop.prefix, clock: shop.clock }).get("/products/5"))).toBe(
      "Prerendered Pretzel, salted",
    );
  });

  it.each([
    ["truncated", (v: ArrayBuffer) => v.slice(0, Math.floor(v.byteLength / 2)), undefined],
    ["one byte flipped", (v: ArrayBuffer) => flip(v, Math.floor(v.byteLength * 0.7)), undefined],
    ["header byte flipped", (v: ArrayBuffer) => flip(v, 12), undefined],
    ["metadata lost", (v: ArrayBuffer) => v, null],
  ] as const)("values read back %s: never served, rendered afresh, then stored whole again", async (_, corrupt, metadata) => {
    const shop = openShop();
    await warm(shop);
    shop.counting.faults.read = (_key, answer) =>
      answer.value instanceof ArrayBuffer ? { value: corrupt(answer.value), metadata: metadata === null ? null : answer.metadata } : answer;
    const during = await visitAll(shop);
    expectServed(during);
    expect(new Set(during.map((s) => s.state))).toEqual(new Set(["MISS"]));
    expect(shop.reported.filter((code) => code === "ERR_ENTRY_CORRUPT").length).toBeGreaterThanOrEqual(PAGES.length);
    await shop.drain();
    await expectHealed(shop);
  });

  it("reads returning an older value: the isolate that revalidated never serves the old page; others catch up once KV does", async () => {
    const shop = openShop();
    await warm(shop);
    // What KV answers now, replayed to every read from here on: a lagging replica
    // (a key written since reads as absent, as it would there).
    const before = await snapshot(shop.prefix);
    expect(before.size).toBe(PAGES.length);
    const lagging = (key: string) => before.get(key) ?? { value: null, metadata: null };
    const elsewhere = openShop({ prefix: shop.prefix, clock: shop.clock });
    shop.counting.faults.read = lagging;
    elsewhere.counting.faults.read = lagging;

    await edit(shop, "6", "Tagged Tiramisu, new recipe");
    const here = await shop.get("/products/6");
    expect(await visible(here)).toBe("Tagged Tiramisu, new recipe");
    expect(here.headers.get("x-edge-isr-cache")).toBe("MISS");
    await shop.drain();
    // Another isolate reading the lagging replica still sees the old page: KV's bound (≤ 60 s), not ours to beat.
    const there = await elsewhere.get("/products/6");
    expect(await visible(there)).toBe("Tagged Tiramisu");
    expect(there.headers.get("x-edge-isr-cache")).toBe("HIT");
    // The replica catches up: within the clock's refresh interval (30 s without a coordinator) the
    // other isolate shows the edit, without anyone purging anything.
    elsewhere.counting.faults.read = undefined;
    shop.clock.advance(30_000);
    await elsewhere.get("/products/6"); // re-reads the tag clock in the background
    await elsewhere.drain();
    const caughtUp = await elsewhere.get("/products/6");
    expect(await visible(caughtUp)).toBe("Tagged Tiramisu, new recipe");
    await expectHealed(shop);
  });

  it("a stale-mode revalidation while reads lag never brings back an older page", async () => {
    const shop = openShop();
    await warm(shop);
    const older = await snapshot(shop.prefix);
    // KV now holds product 1's second version…
    shop.clock.advance(5_000);
    await edit(shop, "1", "Edge Espresso, double");
    expect(await visible(await shop.get("/products/1"))).toBe("Edge Espresso, double");
    await shop.drain();
    // …but this isolate's reads see the first one while it marks the product's pages stale.
    shop.clock.advance(5_000);
    shop.counting.faults.read = (name, answer) => older.get(name) ?? answer;
    await edit(shop, "1", "Edge Espresso, triple", "stale");
    await shop.drain();
    // Any other isolate, once KV is consistent, never sees the first version again.
    shop.counting.faults.read = undefined;
    const elsewhere = openShop({ prefix: shop.prefix, clock: shop.clock });
    const shown = await visible(await elsewhere.get("/products/1"));
    expect(["Edge Espresso, double", "Edge Espresso, triple"]).toContain(shown);
    await expectHealed(shop);
    expect(await visible(await openShop({ prefix: shop.prefix, clock: shop.clock }).get("/products/1"))).toBe("Edge Espresso, triple");
  });
});

function flip(value: ArrayBuffer, at: number): ArrayBuffer {
  const copy = new Uint8Array(value.slice(0));
  copy[at] = copy[at]! ^ 0xff;
  return copy.buffer;
}
