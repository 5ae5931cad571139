/**
 * The L1 benchmark's Worker, in workerd (Miniflare) with real KV, the
 * coordinator Durable Object and the Cache API. Several handler instances in
 * it are several isolates of one colo: each has its own memory, all share the
 * Cache API. The Node driver (bench.ts) calls it:
 *
 *   POST /reads  {rate, seconds, isolates, l1}   billed KV reads per hit at `rate` hits/s on one page (simulated time)
 *   POST /herd   {isolates, requests, coordinator} renders when every isolate sees the page go stale at once (createISR)
 *   POST /cpu    {variant, n, prefix}             n gets of one page: bare KV.get, handler on KV, handler from the L1
 *   POST /visible {refreshSeconds}                simulated ms from revalidateTag to the first non-fresh answer in another isolate
 */
import { KVCacheHandler, type KVCacheHandlerOptions } from "../../packages/kv-cache-handler/src/index.js";
import { createISR } from "../../packages/runtime/src/index.js";
import { countingKV } from "../../test/helpers/counting-kv.js";
import { manualClock } from "../../test/helpers/clock.js";

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

const handlers = new Map<string, KVCacheHandler>();
async function cpu(env: Env, body: { variant: "kv.get" | "handler, KV" | "handler, L1" | "caches.match"; n: number; prefix: string }) {
  const key = "/cpu";
  let h = handlers.get(body.prefix + body.variant);
  if (!h) {
    h = new KVCacheHandler(env.CACHE, {
      prefix: body.prefix,
      logger: quiet,
      coordinator: env.EDGE_ISR_COORDINATOR,
      binding: "CACHE",
      ...(body.variant === "handler, L1" ? {} : { l1: false }),
    });
    handlers.set(body.prefix + body.variant, h);
    if (body.variant === "handler, KV") await h.set(key, page(), { cacheControl: { revalidate: 3600 }, tags: ["products"] });
  }
  const kvKey = `${body.prefix}e:${key}`;
  const cache = await caches.open("bench");
  if (body.variant === "caches.match" && !(await cache.match("https://bench/x")))
    await cache.put("https://bench/x", new Response(new Uint8Array(20_000), { headers: { "cache-control": "max-age=3600" } }));
  for (let i = 0; i < body.n; i++) {
    if (body.variant === "kv.get") await env.CACHE.getWithMetadata(kvKey, { type: "arrayBuffer" });
    else if (body.variant === "caches.match") await (await cache.match("https://bench/x"))!.arrayBuffer();
    else if (!(await h.get(key))) throw new Error(`${body.variant}: a miss`);
  }
  return { n: body.n };
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
