/**
 * The Worker the runtime benchmark runs in workerd (Miniflare). One isolate, so
 * module state (ISR instances, their stats, the clock offset) is shared by all
 * requests.
 *
 *   GET /page                 main ISR route (revalidate 3600): warmed, then every request a HIT
 *   GET /render               renders the same page on every request (no ISR, no KV)
 *   GET /stale-page           main ISR route with revalidate 1 (stale windows, one isolate)
 *   GET /iso-page?n=N         N simulated isolates (separate createISR + KVCacheHandler instances
 *                             sharing env.CACHE); header x-bench-set: lease|nolease picks the set,
 *                             x-bench-isolate: i the instance
 *   GET /bench/kv             env.CACHE.get(<KV key of /page>, "arrayBuffer"), bytes as the body
 *   GET /bench/kv-gzip        the same get, the stored gzip html part served as gzip (a HIT without the runtime)
 *   GET /bench/key            the KV key of /page (JSON)
 *   GET /bench/stats          render counters, background work in flight, errors logged
 *   GET /bench/advance?ms=N   moves the clock every ISR instance and handler reads forward
 *   GET /bench/fanout         n simultaneous ISR requests inside the isolate (see fanout)
 *   GET /bench/loop           n sequential HIT / render / KV.get / kv-gzip calls inside one request (see loop)
 *
 * Bench-only endpoints: never expose anything like them in a real Worker.
 */
import { KVCacheHandler, readParts } from "@edge-isr/kv-cache-handler";
import { createISR, type WaitUntil } from "@edge-isr/runtime";
import { renderCatalogue } from "./page.js";

interface Env {
  CACHE: KVNamespace;
}

/**
 * The clock every ISR instance and handler reads: frozen at the first request,
 * moved only by /bench/advance, so a stale window is exactly one advance however
 * long a burst of requests takes in real time.
 */
let offsetMs = 0;
let frozenAt: number | undefined;
const now = () => (frozenAt ??= Date.now()) + offsetMs;

/** Errors and warnings logged by the runtime or the handlers (the bench fails if there are any). */
const logged: string[] = [];
const logger = {
  warn: (...args: unknown[]) => void logged.push(`warn: ${args.map(String).join(" ")}`),
  error: (...args: unknown[]) => void logged.push(`error: ${args.map(String).join(" ")}`),
};

/** Armed by a staggered fan-out: called once, synchronously, when the next render starts. */
let onRenderStart: (() => void) | undefined;
const render = () => {
  const hook = onRenderStart;
  onRenderStart = undefined;
  hook?.();
  return renderCatalogue();
};

/** One simulated isolate: its own createISR (single-flight, stats) and its own KVCacheHandler. */
function isolate(buildId: string, routes: Parameters<typeof createISR<Env>>[0]["routes"], lease: boolean) {
  let handler: KVCacheHandler | undefined;
  return createISR<Env>({
    routes,
    render,
    buildId,
    now,
    logger,
    handler: (env) => (handler ??= new KVCacheHandler(env.CACHE, { now, logger })),
    ...(lease ? { lease: { kv: (env: Env) => env.CACHE, seconds: 30 } } : {}),
  });
}

const main = isolate(
  "bench",
  [
    { path: "/page", revalidate: 3600, tags: ["catalogue"] },
    { path: "/stale-page", revalidate: 1, tags: ["catalogue"] },
  ],
  false,
);

let sets: Record<"lease" | "nolease", ReturnType<typeof isolate>[]> | undefined;
function isolateSets(n: number) {
  if (!sets || sets.lease.length !== n) {
    const routes = [{ path: "/iso-page", revalidate: 1 }];
    sets = {
      nolease: Array.from({ length: n }, () => isolate("iso-nolease", routes, false)),
      lease: Array.from({ length: n }, () => isolate("iso-lease", routes, true)),
    };
  }
  return sets;
}

let directRenders = 0;
let inflight = 0;
/** Counts background work still running, so the bench can wait for it. */
function tracked(ctx: ExecutionContext): WaitUntil {
  return {
    waitUntil(promise) {
      inflight++;
      ctx.waitUntil(
        promise
          .then(
            () => undefined,
            () => undefined,
          )
          .finally(() => void inflight--),
      );
    },
  };
}

let pageKvKey: string | undefined;
const sum = (xs: { renders: number; regenerations: number; failures: number }[]) =>
  xs.reduce(
    (a, s) => ({ renders: a.renders + s.renders, regenerations: a.regenerations + s.regenerations, failures: a.failures + s.failures }),
    {
      renders: 0,
      regenerations: 0,
      failures: 0,
    },
  );

/**
 * A hand-written HIT without the runtime: one KV get, the stored gzip html part
 * sliced out with the handler's codec and served as gzip, as the HIT path serves it.
 */
async function kvGzip(url: URL, env: Env): Promise<Response> {
  pageKvKey ??= `e:${main.keyFor(new URL("/page", url), env)}`;
  const bytes = await env.CACHE.get(pageKvKey, "arrayBuffer");
  if (bytes === null) return new Response("no entry", { status: 404 });
  const html = readParts(new Uint8Array(bytes)).parts.find((part) => part.name === "html");
  if (!html?.gzip) return new Response("the stored html part is not gzip", { status: 500 });
  return new Response(html.bytes, {
    headers: { "content-type": "text/html; charset=utf-8", "content-encoding": "gzip" },
    encodeBody: "manual",
  } as ResponseInit);
}

const hex = async (bytes: ArrayBuffer | Uint8Array) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource))].map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * GET /bench/fanout?target=stale-page|iso&set=lease|nolease&n=1000&isolates=N[&stagger=1]: n requests
 * started at the same instant inside this isolate (main ISR, or spread round-robin over the
 * N simulated isolates of a set), all bodies read. With stagger=1, isolate 0 gets the first
 * request alone and the rest start the moment its regeneration starts rendering. Answers the statuses, the cache states
 * served, and for each distinct body the SHA-256 of its decoded bytes.
 */
async function fanout(url: URL, env: Env, ctx: ExecutionContext): Promise<Response> {
  const n = Number(url.searchParams.get("n") ?? "1000");
  const iso = url.searchParams.get("target") === "iso";
  const set = iso
    ? isolateSets(Number(url.searchParams.get("isolates") ?? "4"))[url.searchParams.get("set") === "lease" ? "lease" : "nolease"]
    : [main];
  const target = new URL(iso ? "/iso-page" : "/stale-page", url).href;
  const call = (i: number) =>
    set[i % set.length]!.fetch(new Request(target, { headers: { "accept-encoding": "gzip" } }), env, tracked(ctx));
  const responses: Response[] = [];
  let waitedMs = 0;
  if (url.searchParams.get("stagger") === "1") {
    // Isolate 0 goes stale first; the other requests start the moment its regeneration
    // starts rendering (with the lease: after it has written the lease).
    const started = Date.now();
    let rest: Promise<Response[]> | undefined;
    let launched!: () => void;
    const launch = new Promise<void>((resolve) => (launched = resolve));
    onRenderStart = () => {
      rest = Promise.all(Array.from({ length: n - 1 }, (_, i) => call(i + 1)));
      launched();
    };
    responses.push(await call(0));
    await Promise.race([launch, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    onRenderStart = undefined;
    if (!rest) return new Response("stagger: isolate 0 did not start a render", { status: 500 });
    waitedMs = Date.now() - started;
    responses.push(...(await rest));
  } else {
    responses.push(...(await Promise.all(Array.from({ length: n }, (_, i) => call(i)))));
  }
  const statuses: Record<string, number> = {};
  const served: Record<string, number> = {};
  const bodies = new Map<string, { count: number; bytes: ArrayBuffer; gzip: boolean }>();
  for (const r of responses) {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const state = r.headers.get("x-edge-isr-cache") ?? "none";
    served[state] = (served[state] ?? 0) + 1;
    const bytes = await r.arrayBuffer();
    const raw = await hex(bytes);
    const seen = bodies.get(raw);
    if (seen) seen.count++;
    else bodies.set(raw, { count: 1, bytes, gzip: r.headers.get("content-encoding") === "gzip" });
  }
  const decoded: Record<string, number> = {};
  for (const { count, bytes, gzip } of bodies.values()) {
    const plain = gzip ? await new Response(new Response(bytes).body!.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer() : bytes;
    const h = await hex(plain);
    decoded[h] = (decoded[h] ?? 0) + count;
  }
  return Response.json({ statuses, served, decoded, waitedMs });
}

/**
 * GET /bench/loop?kind=hit|render|kv|kv-gzip&n=N: N sequential calls inside this one request,
 * each body read in full, so the workerd CPU per call has no per-request overhead of
 * Miniflare (its entry worker, one HTTP connection per dispatchFetch).
 */
async function loop(url: URL, env: Env, ctx: ExecutionContext): Promise<Response> {
  const n = Number(url.searchParams.get("n") ?? "100");
  const kind = url.searchParams.get("kind");
  const target = new URL("/page", url).href;
  pageKvKey ??= `e:${main.keyFor(target, env)}`;
  let bytes = 0;
  let notHit = 0;
  for (let i = 0; i < n; i++) {
    if (kind === "kv") {
      const value = await env.CACHE.get(pageKvKey, "arrayBuffer");
      bytes = value?.byteLength ?? -1;
    } else if (kind === "kv-gzip") {
      bytes = (await (await kvGzip(url, env)).arrayBuffer()).byteLength;
    } else if (kind === "hit") {
      const r = await main.fetch(new Request(target, { headers: { "accept-encoding": "gzip" } }), env, tracked(ctx));
      if (r.headers.get("x-edge-isr-cache") !== "HIT") notHit++;
      bytes = (await r.arrayBuffer()).byteLength;
    } else {
      directRenders++;
      bytes = (await (await render()).arrayBuffer()).byteLength;
    }
  }
  return Response.json({ n, bytes, notHit });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/page":
      case "/stale-page":
        return main.fetch(request, env, tracked(ctx));
      case "/render":
        directRenders++;
        return render();
      case "/bench/kv-gzip":
        return kvGzip(url, env);
      case "/bench/kv": {
        // The same page's stored entry, read the plainest way: one KV get, bytes as they are.
        pageKvKey ??= `e:${main.keyFor(new URL("/page", url), env)}`;
        const bytes = await env.CACHE.get(pageKvKey, "arrayBuffer");
        if (bytes === null) return new Response("no entry", { status: 404 });
        return new Response(bytes, { headers: { "content-type": "application/octet-stream" } });
      }
      case "/iso-page": {
        const n = Number(url.searchParams.get("n") ?? "4");
        const set = isolateSets(n)[request.headers.get("x-bench-set") === "lease" ? "lease" : "nolease"];
        const i = Number(request.headers.get("x-bench-isolate") ?? "0");
        const isr = set[i];
        if (!isr) return new Response(`no isolate ${i}`, { status: 400 });
        return isr.fetch(request, env, tracked(ctx));
      }
      case "/bench/fanout":
        return fanout(url, env, ctx);
      case "/bench/loop":
        return loop(url, env, ctx);
      case "/bench/key":
        return Response.json({ cacheKey: main.keyFor(new URL("/page", url), env), kvKey: `e:${main.keyFor(new URL("/page", url), env)}` });
      case "/bench/advance":
        offsetMs += Number(url.searchParams.get("ms") ?? "0");
        return Response.json({ offsetMs });
      case "/bench/stats":
        return Response.json({
          main: { ...main.stats },
          directRenders,
          inflight,
          isolates: sets ? { nolease: sum(sets.nolease.map((s) => s.stats)), lease: sum(sets.lease.map((s) => s.stats)) } : null,
          perIsolate: sets ? { nolease: sets.nolease.map((s) => s.stats.renders), lease: sets.lease.map((s) => s.stats.renders) } : null,
          logged: logged.slice(0, 20),
          loggedCount: logged.length,
        });
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
