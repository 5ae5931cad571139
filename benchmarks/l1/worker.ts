/**
 * The L1 benchmark's Worker, in workerd (Miniflare) with real KV, the
 * coordinator Durable Object and the Cache API. Several handler instances in
 * it are several isolates of one colo: each has its own memory, all share the
 * Cache API. The Node driver (bench.ts) calls it:
 *
 *   POST /reads  {rate, seconds, isolates, l1}   billed KV reads per hit at `rate` hits/s on one page (simulated time)
 *   POST /herd   {isolates, requests, coordinator} renders when every isolate sees the page go stale at once (createISR)
 *   POST /cpu    {variant, n, prefix}             n gets of one page (a bare binding call, the handler, a createISR HIT)
 *   POST /visible {refreshSeconds}                simulated ms from revalidateTag to the first non-fresh answer in another isolate
 */
import { KVCacheHandler, type KVCacheHandlerOptions } from "../../packages/kv-cache-handler/src/index.js";
import { withDeadlines } from "../../packages/kv-cache-handler/src/deadline.js";
import { createISR } from "../../packages/runtime/src/index.js";
import { countingKV } from "../../test/helpers/counting-kv.js";
import { manualClock } from "../../test/helpers/clock.js";
import { realisticPage } from "../handler/page.js";

export { EdgeIsrCoordinator } from "../../packages/kv-cache-handler/src/index.js";

interface Env {
  CACHE: KVNamespace;
  EDGE_ISR_COORDINATOR: DurableObjectNamespace;
}

const quiet = { warn() {}, error() {} };
const page = (n = 20_000) => ({
  kind: "APP_PAGE" as const,
  html: `<main>${"<p>a product paragraph</p>".repeat(n / 26)}</main>`,
  rscData: undefined,
  headers: {},
  postponed: undefined,
  status: 200,
});
const json = (body: unknown) => Response.json(body);

async function reads(env: Env, body: { rate: number; seconds: number; isolates: number; l1: boolean }) {
  const clock = manualClock();
  const counting = countingKV(env.CACHE, { now: clock.now, operationsPerInvocation: false });
  const prefix = `l1r-${crypto.randomUUID().slice(0, 8)}/`;
  const background: Promise<unknown>[] = [];
  const make = () =>
    new KVCacheHandler(counting.kv, {
      prefix,
      now: clock.now,
      sleep: clock.sleep,
      logger: quiet,
      coordinator: env.EDGE_ISR_COORDINATOR,
      binding: "CACHE",
      ctx: { waitUntil: (p) => void background.push(p) },
      ...(body.l1 ? {} : { l1: false }),
    } as KVCacheHandlerOptions);
  await make().set("/p", page(), { cacheControl: { revalidate: 3600 }, tags: ["products", "product:1"] });
  const isolates = Array.from({ length: body.isolates }, make);
  for (const h of isolates) await h.get("/p"); // warm: every isolate has its clock
  while (background.length) await Promise.allSettled(background.splice(0));
  counting.reset();
  const hits = body.rate * body.seconds;
  const gap = 1000 / body.rate;
  let fresh = 0;
  for (let i = 0; i < hits; i++) {
    clock.advance(gap);
    const hit = await isolates[i % isolates.length]!.get("/p");
    if (hit && !hit.cacheState) fresh++;
    while (background.length) await Promise.allSettled(background.splice(0)); // the next request comes `gap` later
  }
  if (fresh !== hits) throw new Error(`${hits - fresh} of ${hits} hits were not fresh`);
  return { hits, reads: counting.counts.reads, readsPerHit: counting.counts.reads / hits, writes: counting.counts.writes };
}

async function herd(env: Env, body: { isolates: number; requests: number; coordinator: boolean }) {
  const clock = manualClock();
  const prefix = `l1h-${crypto.randomUUID().slice(0, 8)}/`;
  let renders = 0;
  const apps = Array.from({ length: body.isolates }, () => {
    const handler = new KVCacheHandler(env.CACHE, {
      prefix,
      now: clock.now,
      logger: quiet,
      ...(body.coordinator ? { coordinator: env.EDGE_ISR_COORDINATOR, binding: "CACHE" } : {}),
    });
    const isr = createISR({
      routes: [{ path: "/p", revalidate: 60 }],
      handler,
      now: clock.now,
      logger: quiet,
      render: async () => (renders++, new Response("<p>page</p>", { headers: { "content-type": "text/html" } })),
    });
    const pending: Promise<unknown>[] = [];
    return {
      fetch: () => isr.fetch(new Request("https://bench.example/p"), env, { waitUntil: (p) => void pending.push(p) }),
      drain: async () => {
        while (pending.length) await Promise.allSettled(pending.splice(0));
      },
    };
  });
  await apps[0]!.fetch();
  await apps[0]!.drain();
  for (const app of apps) await app.fetch();
  clock.advance(61_000);
  const before = renders;
  const responses = await Promise.all(Array.from({ length: body.requests }, (_, i) => apps[i % apps.length]!.fetch()));
  await Promise.all(apps.map((a) => a.drain()));
  return { renders: renders - before, non200: responses.filter((r) => r.status !== 200).length };
}

/**
 * A KV that answers each read from memory after the first (what KV gave): with
 * it, a CPU figure is our code's alone, without Miniflare's KV emulation.
 */
function replayed(kv: KVNamespace): KVNamespace {
  const answers = new Map<string, unknown>();
  const once = async (id: string, read: () => Promise<unknown>) => {
    if (!answers.has(id)) answers.set(id, await read());
    return answers.get(id);
  };
  return {
    async getWithMetadata(key: string, options: unknown) {
      const r = (await once(`m ${key}`, () => kv.getWithMetadata(key, options as never))) as {
        value: ArrayBuffer | null;
        metadata: unknown;
      };
      return { value: r.value?.slice(0) ?? null, metadata: r.metadata }; // a fresh buffer, as KV gives
    },
    get: (keys: unknown, options: unknown) => once(`g ${JSON.stringify(keys)}`, () => kv.get(keys as never, options as never)),
    put: kv.put.bind(kv),
    delete: kv.delete.bind(kv),
    list: kv.list.bind(kv),
  } as unknown as KVNamespace;
}

/** What a CPU figure measures: a bare binding call, the handler's get, or a whole request through createISR. */
export type CpuVariant =
  | "kv.get"
  | "caches.match"
  | "handler, KV"
  | "handler, L1 colo"
  | "handler, L1 memory"
  | "bare KV.get + Response"
  | "bare KV.get with a deadline + Response"
  | "HIT, KV"
  | "HIT, L1 colo"
  | "HIT, L1 memory"
  | "replayed kv.get"
  | "handler, replayed KV"
  | "replayed KV.get + Response"
  | "HIT, replayed KV";

const l1Of = (variant: string) =>
  variant.includes("memory") ? {} : variant.includes("colo") ? { l1: { memorySeconds: 0 } } : { l1: false as const };
/** 20 KB of product-catalogue HTML that compresses like a real page (to about 4 KB), not one repeated string. */
const cpuPage = realisticPage(20260401, 20_000, 0).html;
const handlers = new Map<string, KVCacheHandler>();
const isrs = new Map<string, ReturnType<typeof createISR<Env>>>();
let replayKV: KVNamespace | undefined;
let deadlineKV: KVNamespace | undefined;
/** The handler's default deadlines (readTimeoutMs, writeTimeoutMs). */
const DEADLINES = { readMs: 1500, writeMs: 10_000 };

function handlerFor(env: Env, variant: string, prefix: string): KVCacheHandler {
  let h = handlers.get(prefix + variant);
  if (!h) {
    const kv = variant.includes("replayed") ? (replayKV ??= replayed(env.CACHE)) : env.CACHE;
    h = new KVCacheHandler(kv, { prefix, logger: quiet, coordinator: env.EDGE_ISR_COORDINATOR, binding: "CACHE", ...l1Of(variant) });
    handlers.set(prefix + variant, h);
  }
  return h;
}

function isrFor(env: Env, variant: string, prefix: string) {
  let isr = isrs.get(prefix + variant);
  if (!isr) {
    isr = createISR<Env>({
      routes: [{ path: "/page", revalidate: 3600 }],
      handler: handlerFor(env, variant, `${prefix}isr/`),
      logger: quiet,
      render: async () => new Response(cpuPage, { headers: { "content-type": "text/html; charset=utf-8" } }),
    });
    isrs.set(prefix + variant, isr);
  }
  return isr;
}

async function cpu(env: Env, body: { variant: CpuVariant; n: number; prefix: string }) {
  const { variant, n, prefix } = body;
  const key = "/cpu";
  const entryKey = `${prefix}e:${key}`;
  const pageKey = `${prefix}isr/e:${isrFor(env, "HIT, KV", prefix).keyFor("https://bench.example/page", env)}`;
  const cache = await caches.open("bench");
  if (variant === "caches.match" && !(await cache.match("https://bench/x")))
    await cache.put("https://bench/x", new Response(new Uint8Array(20_000), { headers: { "cache-control": "max-age=3600" } }));
  if (variant === "handler, KV" && !(await env.CACHE.get(entryKey)))
    await handlerFor(env, variant, prefix).set(key, page(), { cacheControl: { revalidate: 3600 }, tags: ["products"] });
  const pending: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException() {} } as ExecutionContext;
  const request = () => new Request("https://bench.example/page", { headers: { "accept-encoding": "gzip" } });
  let notHit = 0;
  for (let i = 0; i < n; i++) {
    if (variant === "kv.get") await env.CACHE.getWithMetadata(entryKey, { type: "arrayBuffer" });
    else if (variant === "replayed kv.get") await (replayKV ??= replayed(env.CACHE)).getWithMetadata(entryKey, { type: "arrayBuffer" });
    else if (variant === "caches.match") await (await cache.match("https://bench/x"))!.arrayBuffer();
    else if (variant.includes("Response")) {
      const kv = variant.includes("replayed") ? (replayKV ??= replayed(env.CACHE)) : env.CACHE;
      // With a deadline: the read bounded exactly as the handler bounds each KV call (what that alone costs).
      const bounded = variant.includes("deadline") ? (deadlineKV ??= withDeadlines(env.CACHE, DEADLINES) as unknown as KVNamespace) : kv;
      const read = await bounded.getWithMetadata(pageKey, { type: "arrayBuffer" });
      if (!read.value) throw new Error(`${variant}: no entry under ${pageKey}`);
      await new Response(read.value).arrayBuffer();
    } else if (variant.startsWith("HIT")) {
      const response = await isrFor(env, variant, prefix).fetch(request(), env, ctx);
      await response.arrayBuffer();
      if (response.headers.get("x-edge-isr-cache") !== "HIT") notHit++;
    } else if (!(await handlerFor(env, variant, prefix).get(key))) throw new Error(`${variant}: a miss`);
    while (pending.length) await Promise.allSettled(pending.splice(0));
  }
  return { n, notHit };
}

async function visible(env: Env, body: { pollMs: number }) {
  const clock = manualClock();
  const prefix = `l1v-${crypto.randomUUID().slice(0, 8)}/`;
  const background: Promise<unknown>[] = [];
  const make = () =>
    new KVCacheHandler(env.CACHE, {
      prefix,
      now: clock.now,
      logger: quiet,
      coordinator: env.EDGE_ISR_COORDINATOR,
      binding: "CACHE",
      ctx: { waitUntil: (p) => void background.push(p) },
    });
  const writer = make();
  await writer.set("/p", page(100), { cacheControl: { revalidate: 3600 }, tags: ["news"] });
  await writer.invalidate("unrelated");
  const reader = make();
  await reader.get("/p");
  clock.advance(Math.floor(Math.random() * 5000)); // the reader's refresh is somewhere in its cycle
  await make().invalidate("news", {});
  const at = clock.now();
  for (;;) {
    const hit = await reader.get("/p");
    while (background.length) await Promise.allSettled(background.splice(0));
    if (hit?.cacheState === "stale" || !hit) return { ms: clock.now() - at };
    clock.advance(body.pollMs);
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const body = (await request.json()) as never;
    if (url.pathname === "/reads") return json(await reads(env, body));
    if (url.pathname === "/herd") return json(await herd(env, body));
    if (url.pathname === "/cpu") return json(await cpu(env, body));
    if (url.pathname === "/visible") return json(await visible(env, body));
    return new Response("not found", { status: 404 });
  },
};
