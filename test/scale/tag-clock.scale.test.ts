/**
 * Invalidation at scale, against production's limits: 20,000 entries in
 * workerd on Miniflare's real KV (and Durable Objects), each carrying two group
 * tags from independent partitions — for the KV-only clock `a:hot` / `a:warm`
 * (5,000 each) and for the coordinator `b:hot` / `b:warm` (5,000 each). One
 * invalidation is one invocation of a few KV operations; afterwards every
 * tagged entry reads STALE (then a miss, for an expiring invalidation) in fresh
 * isolates and every other entry is exactly as a model of the clock says.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ENTRY_PREFIX, KVCacheHandler, type KVCacheHandlerOptions } from "../../packages/kv-cache-handler/src/index.js";
import { createISR } from "../../packages/runtime/src/index.js";
import { manualClock } from "../helpers/clock.js";
import { countingKV } from "../helpers/counting-kv.js";

const ENTRIES = 20_000;
const BATCH = 500; // gets per fresh isolate (one invocation each)
const page = (i: number) => ({
  kind: "APP_PAGE" as const,
  html: `<p>${i}</p>`,
  rscData: undefined,
  headers: {},
  postponed: undefined,
  status: 200,
});
const keyOf = (i: number) => `b1:/items/${i}`;
const group = (n: number) => (n % 4 === 0 ? "hot" : n % 4 === 1 ? "warm" : "cold");
const tagsOf = (i: number) => [`a:${group(i)}`, `b:${group(i >> 2)}`];
const carrying = (tag: string) => Array.from({ length: ENTRIES }, (_, i) => i).filter((i) => tagsOf(i).includes(tag));

const prefix = `scale-${crypto.randomUUID().slice(0, 8)}/`;
const clock = manualClock();
const counting = countingKV(env.CACHE, { now: clock.now });
/** The model: what each invalidated tag means now ("stale" or "expired"). */
const model = new Map<string, "stale" | "expired">();
const expected = (i: number) => {
  const states = tagsOf(i).map((t) => model.get(t) ?? "fresh");
  return states.includes("expired") ? "expired" : states.includes("stale") ? "stale" : "fresh";
};

beforeAll(async () => {
  const writer = new KVCacheHandler(env.CACHE, { prefix, now: clock.now, logger: { warn() {}, error() {} } });
  for (let start = 0; start < ENTRIES; start += 1000) {
    await Promise.all(
      Array.from({ length: 1000 }, (_, j) => start + j).map((i) =>
        writer.set(keyOf(i), page(i), { cacheControl: { revalidate: false }, tags: tagsOf(i) }),
      ),
    );
  }
  clock.advance(1000);
}, 600_000);

describe.each([
  { name: "KV-only tag clock", options: {} as KVCacheHandlerOptions, tag: "a" },
  { name: "coordinator", options: { coordinator: env.EDGE_ISR_COORDINATOR, binding: "CACHE" } as KVCacheHandlerOptions, tag: "b" },
])("20,000 entries, 5,000 tagged ($name)", ({ options, tag }) => {
  const isolate = () =>
    new KVCacheHandler(counting.kv, { prefix, now: clock.now, sleep: clock.sleep, logger: { warn() {}, error() {} }, ...options });

  /** Reads with real gets, each batch in a fresh isolate and its own invocation: how many in each state. */
  async function read(list: number[]) {
    const states: Record<string, number> = {};
    for (let start = 0; start < list.length; start += BATCH) {
      const reader = isolate();
      const { invocation } = await counting.run(async () => {
        for (const i of list.slice(start, start + BATCH)) {
          const hit = await reader.get(keyOf(i));
          const state = hit === null ? "miss" : (hit.cacheState ?? "fresh");
          states[state] = (states[state] ?? 0) + 1;
        }
      });
      expect(invocation.refused).toBe(0);
    }
    return states;
  }

  /** Every entry's state from list() metadata alone (as get decides it) in one fresh isolate, against the model. */
  async function expectAllAsModelled() {
    const reader = isolate();
    const wrong: string[] = [];
    let seen = 0;
    let cursor: string | undefined;
    do {
      const listed = await env.CACHE.list({ prefix: prefix + ENTRY_PREFIX, cursor });
      for (const key of listed.keys) {
        const i = Number(key.name.slice(key.name.lastIndexOf("/") + 1));
        const state = await reader.entryState(key.metadata);
        if (state !== expected(i)) wrong.push(`${i}: ${state}, expected ${expected(i)}`);
        seen++;
      }
      cursor = listed.list_complete ? undefined : listed.cursor;
    } while (cursor);
    expect(seen).toBe(ENTRIES);
    expect(wrong.slice(0, 10)).toEqual([]);
  }

  it("one invalidation is one invocation of a few operations; every tagged entry is stale, then expired, in fresh isolates", async () => {
    const hot = `${tag}:hot`;
    const stale = await counting.run(() => isolate().invalidate(hot, {}));
    model.set(hot, "stale");
    expect(stale.result).toMatchObject({ tags: 1, failed: 0, degraded: false });
    expect(stale.invocation.operations).toBeLessThanOrEqual(2); // one bulk read and one write of the tag's record (none with a coordinator)
    expect(counting.counts.lists).toBe(0);
    const tagged = carrying(hot);
    expect(tagged).toHaveLength(5000);
    // Entries also carrying a tag the other clock expired earlier read as a miss; all others stale.
    expect(await read(tagged)).toEqual(
      Object.fromEntries(
        Object.entries({
          stale: tagged.filter((i) => expected(i) === "stale").length,
          miss: tagged.filter((i) => expected(i) === "expired").length,
        }).filter(([, n]) => n > 0),
      ),
    );
    await expectAllAsModelled();

    clock.advance(1000);
    const expire = await counting.run(() => isolate().invalidate(hot));
    model.set(hot, "expired");
    expect(expire.invocation.operations).toBeLessThanOrEqual(2);
    await expectAllAsModelled();
    expect(await read(tagged.slice(0, 1000))).toEqual({ miss: 1000 });
  }, 300_000);

  it("through the revalidation endpoint: one request, every tagged page a miss, the rest as before", async () => {
    clock.advance(1000);
    const warm = `${tag}:warm`;
    const isr = createISR<typeof env>({
      routes: [],
      render: () => new Response("x"),
      handler: () => isolate(),
      now: clock.now,
      revalidateEndpoint: { secret: () => "scale-secret" },
    });
    const pending: Promise<unknown>[] = [];
    const { result: res, invocation } = await counting.run(async () => {
      const request = new Request("https://shop.example/_isr/revalidate", {
        method: "POST",
        headers: { authorization: "Bearer scale-secret" },
        body: JSON.stringify({ tags: [warm] }),
      });
      const response = await isr.fetch(request, env, { waitUntil: (p) => void pending.push(p) });
      await Promise.all(pending);
      return response;
    });
    model.set(warm, "expired");
    expect(res.status).toBe(200);
    expect(invocation.operations).toBeLessThanOrEqual(2);
    await expectAllAsModelled();
    expect(await read(carrying(warm).slice(0, 1000))).toEqual({ miss: 1000 });
  }, 300_000);
});
