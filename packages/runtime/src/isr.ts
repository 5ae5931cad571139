/**
 * `createISR`: incremental static regeneration for a Worker's `fetch`.
 *
 *   HIT    fresh entry → served from the stored bytes (gzip as stored when accepted)
 *   STALE  served at once; one regeneration runs in `ctx.waitUntil` — one per isolate,
 *          one across isolates when the handler's coordinator grants leases
 *   MISS   rendered once however many requests wait; streamed to the first client
 *          while a copy is stored in `ctx.waitUntil`
 *   BYPASS not cacheable (method, Authorization, RSC, a route's personal cookies, Set-Cookie,
 *          private/no-store, status, the not-found budget spent); answered `private`
 *
 * A page with a stored copy is never answered with a 5xx because rendering or
 * the cache failed: a failed regeneration keeps the stale copy and retries after
 * a short backoff (3 s doubling to 30 s, as Next.js does).
 */
import { type CacheHandler, implicitTags, quoteKey } from "@edge-isr/kv-cache-handler";
import { backgroundWork } from "./background.js";
import { CACHEABLE_STATUS, requestBypassReason, responseBypassReason } from "./cacheability.js";
import { checkCookieOptions } from "./cookies.js";
import { allowedQuery, normalizePath, pageKey } from "./cache-key.js";
import { handleRevalidate, secretsEqual } from "./endpoint.js";
import { EdgeIsrRuntimeError } from "./errors.js";
import { Lease, type LeaseKV } from "./lease.js";
import { type CachedPage, readPage } from "./page.js";
import { getCacheHandler } from "./registry.js";
import { type CacheState, bypassHeaders, cacheHeaders, servePage, stateHeaders } from "./serve.js";
import { type NotFoundOptions, NotFoundPolicy, unlistedAnswer } from "./not-found.js";
import { StaticParamsGate, checkDynamicParams, pathFor } from "./static-params.js";
import { SingleFlight } from "./single-flight.js";
import { etagOf, pageValue, storableHeaders } from "./store.js";
import { Timing } from "./timing.js";
import { type CompiledPattern, compilePattern } from "./route.js";
import { BuildPointerCache, type PointerKV } from "./build-pointer.js";
import { withTimeout } from "./timeout.js";

/** The part of an ExecutionContext the runtime needs. */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

export interface RenderContext<Env> {
  params: Record<string, string>;
  env: Env;
  ctx: WaitUntil;
  /** The matched route; absent when no route matched (the response is not cached). */
  route: ISRRoute<Env> | undefined;
  /** Why this render runs. */
  reason: "miss" | "regenerate" | "revalidate" | "bypass";
}

export type Render<Env> = (request: Request, context: RenderContext<Env>) => Response | Promise<Response>;

export interface ISRRoute<Env = unknown> {
  /** `/`, `/products/:id`, `/docs/*`. */
  path: string;
  /** Seconds an entry stays fresh; `false`: until revalidated on demand. */
  revalidate: number | false;
  /** Seconds after which a stale entry is no longer served (default: kept until KV's TTL). */
  expire?: number;
  /** Tags for on-demand revalidation, fixed or from the params. Implicit path tags are added. */
  tags?: readonly string[] | ((params: Record<string, string>) => readonly string[]);
  /** Query parameters that select a different page; every other parameter is ignored. */
  query?: readonly string[];
  /**
   * Cookies that make a request personal (`"session"`, or a prefix `"sb-*"`; `"*"`: any):
   * a request carrying one is rendered for its client alone (BYPASS). Default none:
   * renders never see cookies. Infrastructure and analytics cookies (`__cf_bm`, `_ga` …) never count.
   */
  personalCookies?: readonly string[];
  /**
   * `false`: only the pages `staticParams` lists are served; other params answer 404 at
   * once, without rendering or touching KV (Next's `dynamicParams = false`). Default `true`.
   */
  dynamicParams?: boolean;
  /** This route's renderer, instead of the shared one. */
  render?: Render<Env>;
  /** For `edge-isr prerender`: the params of the pages to render at build time (static routes need none). */
  staticParams?: (env: Env) => Record<string, string>[] | Promise<Record<string, string>[]>;
}

export interface ISROptions<Env> {
  routes: readonly ISRRoute<Env>[];
  /** Renders a page; receives a clean GET request (no cookies, no Authorization, normalized URL). */
  render: Render<Env>;
  /** Entries of one build live under its id. Default `"dev"`. */
  buildId?: string | ((env: Env) => string);
  /** Default: the handler set with `setCacheHandler`. */
  handler?: CacheHandler | ((env: Env) => CacheHandler);
  /** Answers requests no route matches (default: `render`, uncached). */
  fallback?: (request: Request, env: Env, ctx: WaitUntil) => Response | Promise<Response>;
  /** The response when a page has no stored copy and rendering failed. Default: a plain 500. */
  renderError?: (error: unknown, request: Request) => Response | Promise<Response>;
  /** Opt-in `POST <path>` revalidation endpoint, enabled when `secret(env)` returns a value. */
  revalidateEndpoint?: { path?: string; secret: (env: Env) => string | undefined };
  /**
   * Opt-in build pointer: serve the build named by one KV key (see `edge-isr promote`),
   * read once per isolate per `cacheSeconds` (default 30). `buildId` is the fallback.
   */
  buildPointer?: { kv: (env: Env) => PointerKV; cacheSeconds?: number };
  /**
   * The token `edge-isr prerender` passes to the Worker it runs (default: the
   * `EDGE_ISR_PRERENDER_TOKEN` binding). Absent in production: prerender requests are ignored.
   */
  prerenderToken?: (env: Env) => string | undefined;
  /**
   * Opt-in KV lease bounding duplicate regenerations across isolates, for a handler
   * without a coordinator (with one, its Durable Object grants the lease: one render).
   */
  lease?: { kv: (env: Env) => LeaseKV; seconds?: number };
  /**
   * Stored 404/410 pages: their life (`seconds`, default 300) and how many new ones each
   * isolate may store per route (`budget`, default 10 at once, refilled over an hour); and
   * `response`, the 404 of a `dynamicParams: false` route (default: a plain "Not Found").
   */
  notFound?: NotFoundOptions & { response?: (request: Request, env: Env) => Response | Promise<Response> };
  /** Statuses that are stored. Default {@link CACHEABLE_STATUS}. */
  cacheableStatus?: readonly number[];
  /** A render slower than this fails (default 10,000 ms). */
  renderTimeoutMs?: number;
  /**
   * A cache read, build-pointer read or lease call slower than this is given up
   * (default 2,000 ms): the read is a miss, the pointer falls back to `buildId`,
   * the regeneration runs without the lease.
   */
  cacheTimeoutMs?: number;
  /**
   * The origin renders see (e.g. `"https://shop.example"`); default: the request's.
   * Set it when pages print absolute URLs: entries are shared by every host that
   * reaches the Worker, so a render must not take its links from the `Host` header.
   */
  origin?: string | ((env: Env) => string | undefined);
  /** Retry backoff after a failed regeneration, seconds (default 3 doubling to 30). */
  retryBackoff?: { min: number; max: number };
  now?: () => number;
  onError?: (error: EdgeIsrRuntimeError) => void;
  logger?: Pick<Console, "warn" | "error">;
}

interface Matched<Env> {
  route: ISRRoute<Env>;
  pattern: CompiledPattern;
  params: Record<string, string>;
  path: string;
}

type LeaderOutcome =
  | { kind: "cacheable"; response: Response }
  | { kind: "uncacheable"; response: Response; why: string }
  | { kind: "failed"; error: unknown };

type MissResult =
  | { kind: "stored"; page: CachedPage; landed: Promise<void> }
  | { kind: "uncacheable" }
  | { kind: "failed"; error: unknown };

/** A handler whose coordinator grants regeneration leases (KVCacheHandler with `coordinator`). */
const hasRegenerationLease = (handler: CacheHandler): handler is CacheHandler & { regenerationLease(key: string, lastModified: number, seconds: number): Promise<boolean | undefined> } =>
  typeof (handler as { regenerationLease?: unknown }).regenerationLease === "function";

/** The Accept header of every render: a page's entry is HTML whatever the client asked for. */
const RENDER_ACCEPT = "text/html,application/xhtml+xml,*/*;q=0.8";

/** Header the CLI and warm-up jobs send, with the revalidation secret, to force a render (REVALIDATED). */
export const REVALIDATE_HEADER = "x-edge-isr-revalidate";
/** Header `edge-isr prerender` sends with its token: force a render and store it, answer with the key. */
export const PRERENDER_HEADER = "x-edge-isr-prerender";
/** Path of the prerender manifest (the pages to render at build time), answered only to the prerender token. */
export const PRERENDER_MANIFEST_PATH = "/_isr/prerender-manifest";

/** Builds the ISR `fetch` for a Worker. See the package README for a quick start. */
export function createISR<Env = unknown>(options: ISROptions<Env>) {
  const routes = options.routes.map((route) => {
    checkCookieOptions(route);
    const pattern = compilePattern(route.path);
    checkDynamicParams(route, pattern);
    return { route, pattern };
  });
  const now = options.now ?? Date.now;
  const logger = options.logger ?? console;
  const cacheableStatus = options.cacheableStatus ?? CACHEABLE_STATUS;
  const renderTimeoutMs = options.renderTimeoutMs ?? 10_000;
  const cacheTimeoutMs = options.cacheTimeoutMs ?? 2_000;
  const backoff = options.retryBackoff ?? { min: 3, max: 30 };
  const endpointPath = options.revalidateEndpoint?.path ?? "/_isr/revalidate";
  // A shared render is waited for at most this long (render, body, start of the store), then forgotten.
  const misses = new SingleFlight<MissResult>(renderTimeoutMs + 5_000);
  const pointer = options.buildPointer ? new BuildPointerCache((options.buildPointer.cacheSeconds ?? 30) * 1000, now, cacheTimeoutMs) : undefined;
  const prerenderTokenFor = options.prerenderToken ?? ((env: Env) => (env as { EDGE_ISR_PRERENDER_TOKEN?: string } | undefined)?.EDGE_ISR_PRERENDER_TOKEN);
  // A regeneration (lease, render, its write) past Workers' 30 s waitUntil budget is gone: forgotten.
  const regenerations = new SingleFlight<void>(renderTimeoutMs + 30_000);
  /** Renders started, by reason (read by tests and benchmarks). */
  const stats = { renders: 0, regenerations: 0, failures: 0 };
  const notFound = new NotFoundPolicy(options.notFound, now);

  const report = (error: EdgeIsrRuntimeError) => {
    logger.error(error.message);
    try {
      options.onError?.(error);
    } catch {
      // onError must not turn a cache problem into a page error
    }
  };
  const handlerFor = (env: Env) => (typeof options.handler === "function" ? options.handler(env) : options.handler ?? getCacheHandler());
  const badOrigin = (origin: string) => new EdgeIsrRuntimeError("ERR_OPTION_INVALID", `origin ${quoteKey(origin)} is not a URL such as "https://shop.example"`);
  if (typeof options.origin === "string" && !URL.canParse(options.origin)) throw badOrigin(options.origin);
  /** The origin renders see; a bad value from `origin(env)` is reported and the request's origin used. */
  const originFor = (env: Env): string | undefined => {
    const origin = typeof options.origin === "function" ? options.origin(env) : options.origin;
    if (!origin) return undefined;
    if (URL.canParse(origin)) return new URL(origin).origin;
    report(badOrigin(origin));
    return undefined;
  };
  const staticPages = new StaticParamsGate<Env>({ now, timeoutMs: renderTimeoutMs, report });
  const buildIdFor = (env: Env) => (typeof options.buildId === "function" ? options.buildId(env) : options.buildId ?? "dev");
  const currentBuild = (env: Env) => (pointer ? pointer.current(options.buildPointer!.kv(env), buildIdFor(env)) : Promise.resolve(buildIdFor(env)));

  /** Every page to prerender: static routes, and dynamic ones expanded by their `staticParams`. */
  async function prerenderManifest(env: Env): Promise<string[]> {
    const paths: string[] = [];
    for (const { route, pattern } of routes) {
      if (!pattern.params.length) {
        paths.push(route.path);
        continue;
      }
      for (const params of (await route.staticParams?.(env)) ?? []) paths.push(pathFor(route.path, params));
    }
    return paths;
  }

  function match(path: string): Matched<Env> | undefined {
    for (const { route, pattern } of routes) {
      const params = pattern.match(path);
      if (params) return { route, pattern, params, path };
    }
    return undefined;
  }

  async function render(m: Matched<Env> | undefined, request: Request, env: Env, ctx: WaitUntil, reason: RenderContext<Env>["reason"], timing?: Timing): Promise<Response> {
    const renderer = m?.route.render ?? options.render;
    stats.renders++;
    const run = async () => {
      const response = await withTimeout(
        Promise.resolve().then(() => renderer(request, { params: m?.params ?? {}, env, ctx, route: m?.route, reason })),
        renderTimeoutMs,
        () => new EdgeIsrRuntimeError("ERR_RENDER_TIMEOUT", `rendering ${quoteKey(new URL(request.url).pathname)} took longer than ${renderTimeoutMs} ms`),
      );
      if (!(response instanceof Response)) throw new EdgeIsrRuntimeError("ERR_RENDER_FAILED", `render must return a Response, got ${typeof response}`);
      return response;
    };
    return timing ? timing.measure("render", run) : run();
  }

  function tagsFor(m: Matched<Env>): string[] {
    const own = typeof m.route.tags === "function" ? m.route.tags(m.params) : m.route.tags ?? [];
    return [...own, ...implicitTags(m.path, m.pattern.nextRoute)];
  }

  /** How long a page is kept: its route's life, or the short one of a 404/410. */
  function cacheControlFor(route: ISRRoute<Env>, status: number) {
    const brief = notFound.cacheControl(status);
    if (brief) return brief;
    return route.expire === undefined ? { revalidate: route.revalidate } : { revalidate: route.revalidate, expire: route.expire };
  }

  /** A route with personal cookies shares its URL with personal answers: no shared cache may keep any. */
  const personal = (route: ISRRoute<Env>) => Boolean(route.personalCookies?.length);

  function serve(page: CachedPage, request: Request, m: Matched<Env>, state: CacheState, timing: Timing): Response {
    return servePage(page, request, { state, now: now(), timing: timing.header(state), personal: personal(m.route) });
  }

  /** `dynamicParams: false`: the 404 for params `staticParams` does not list — no render, no KV. */
  async function unlisted(m: Matched<Env>, request: Request, env: Env, timing: Timing): Promise<Response | undefined> {
    if (!(await staticPages.refuses(m.route, m.pattern, m.path, env))) return undefined;
    const make = options.notFound?.response;
    return unlistedAnswer(request, make && (() => make(request, env)), { timing: timing.header("BYPASS"), report });
  }

  /**
   * Stores a rendered body. Returns the page as it will be served at once, and
   * `landed`, which settles when the write did (or failed and was reported):
   * nobody waits for KV's write before being answered.
   */
  async function store(handler: CacheHandler, key: string, m: Matched<Env>, status: number, headers: Headers, body: Uint8Array, generatedAt: number): Promise<{ page: CachedPage; landed: Promise<void> }> {
    const stored = storableHeaders(headers);
    const meta = { etag: await etagOf(body), generatedAt };
    const value = pageValue(body, status, stored, meta);
    const tags = tagsFor(m);
    const cacheControl = cacheControlFor(m.route, status);
    const landed = Promise.resolve()
      .then(() => handler.set(key, value, { cacheControl, tags }))
      .catch((cause: unknown) => {
        report(new EdgeIsrRuntimeError("ERR_CACHE_WRITE", `storing ${quoteKey(key)} failed: ${String(cause)}`, { cause }));
      });
    const page: CachedPage = {
      lastModified: generatedAt,
      cacheControl,
      stale: false,
      tags,
      status,
      headers: stored,
      meta,
      body: () => ({ body: body.slice(), gzip: false }),
      value: async () => value,
    };
    return { page, landed };
  }

  /**
   * Whether this isolate regenerates a stale page: the coordinator's lease when
   * the handler has one (one render across isolates), else the opt-in KV lease,
   * else yes (one render per isolate). A lease that cannot be asked for is skipped.
   */
  async function mayRegenerate(handler: CacheHandler, key: string, stale: CachedPage, m: Matched<Env>, env: Env): Promise<boolean> {
    if (hasRegenerationLease(handler)) {
      // Held until the new copy is stored, or for as long as a render and its write may take.
      const seconds = Math.ceil((renderTimeoutMs + cacheTimeoutMs) / 1000);
      const granted = await withTimeout(handler.regenerationLease(key, stale.lastModified, seconds), cacheTimeoutMs, () => new Error("late")).catch(() => undefined);
      if (granted !== undefined) return granted;
    }
    if (!options.lease) return true;
    const seconds = typeof m.route.revalidate === "number" ? Math.max(1, m.route.revalidate) : 30;
    try {
      const lease = new Lease(options.lease.kv(env), options.lease.seconds ?? 30, now);
      return await withTimeout(lease.acquire(key, seconds), cacheTimeoutMs, () => new Error(`the lease took longer than ${cacheTimeoutMs} ms`));
    } catch (cause) {
      report(new EdgeIsrRuntimeError("ERR_LEASE", `lease for ${quoteKey(key)} failed; regenerating without it: ${String(cause)}`, { cause }));
      return true;
    }
  }

  /** Background regeneration of a stale page: one per isolate, and one across isolates with a coordinator or lease. */
  function regenerate(handler: CacheHandler, key: string, stale: CachedPage, m: Matched<Env>, request: Request, env: Env, ctx: WaitUntil): Promise<void> {
    return regenerations.run(key, async () => {
      if (!(await mayRegenerate(handler, key, stale, m, env))) return;
      stats.regenerations++;
      const started = now();
      try {
        const response = await render(m, request, env, ctx, "regenerate");
        const reason = responseBypassReason(response, cacheableStatus);
        if (reason) throw new EdgeIsrRuntimeError("ERR_RENDER_FAILED", `regenerating ${quoteKey(key)} gave a response that cannot be stored (${reason})`);
        const { landed } = await store(handler, key, m, response.status, response.headers, new Uint8Array(await response.arrayBuffer()), started);
        await landed; // one regeneration per key at a time, write included
      } catch (error) {
        stats.failures++;
        await keepStale(handler, key, stale, m, error);
      }
    });
  }

  /** After a failed regeneration: keep serving the stale copy, retry after a backoff. */
  async function keepStale(handler: CacheHandler, key: string, stale: CachedPage, m: Matched<Env>, error: unknown): Promise<void> {
    const failures = (stale.meta.failures ?? 0) + 1;
    const retryIn = Math.min(backoff.max, backoff.min * 2 ** (failures - 1));
    report(
      error instanceof EdgeIsrRuntimeError && error.code !== "ERR_RENDER_FAILED"
        ? error
        : new EdgeIsrRuntimeError("ERR_RENDER_FAILED", `regenerating ${quoteKey(key)} failed (${failures} in a row); serving the stale copy, retrying in ${retryIn} s: ${String((error as Error)?.message ?? error)}`, { cause: error }),
    );
    const expire = cacheControlFor(m.route, stale.status).expire; // a 404 keeps its short life
    const lived = (now() - stale.meta.generatedAt) / 1000;
    if (expire !== undefined && lived >= expire) return; // past expire: let it go rather than extend its life
    try {
      const value = { ...(await stale.value()), edgeIsr: { ...stale.meta, failures } } as Parameters<CacheHandler["set"]>[1];
      const cacheControl = expire === undefined ? { revalidate: retryIn } : { revalidate: retryIn, expire: Math.max(retryIn, Math.ceil(expire - lived)) };
      await handler.set(key, value, { cacheControl, tags: stale.tags });
    } catch (cause) {
      report(new EdgeIsrRuntimeError("ERR_CACHE_WRITE", `re-storing the stale copy of ${quoteKey(key)} failed: ${String(cause)}`, { cause }));
    }
  }

  /** MISS: the first request renders and streams; concurrent ones wait for the stored copy. */
  async function miss(handler: CacheHandler, key: string, m: Matched<Env>, client: Request, request: Request, env: Env, ctx: WaitUntil, timing: Timing, state: CacheState): Promise<Response> {
    const joining = misses.join(key);
    if (joining) {
      const joined = await joining;
      if (!joined) return bypass(m, client, env, ctx, timing, "a shared render did not finish in time");
      const result = joined.value;
      if (result.kind === "stored") return serve(result.page, client, m, state, timing);
      if (result.kind === "failed") return renderError(result.error, client);
      return bypass(m, client, env, ctx, timing, "the page is not cacheable");
    }
    let answer!: (outcome: LeaderOutcome) => void;
    const leader = new Promise<LeaderOutcome>((resolve) => (answer = resolve));
    const shared = misses.run(key, async (): Promise<MissResult> => {
      const generatedAt = now();
      let response: Response;
      try {
        response = await render(m, request, env, ctx, state === "REVALIDATED" ? "revalidate" : "miss", timing);
      } catch (error) {
        report(error instanceof EdgeIsrRuntimeError ? error : new EdgeIsrRuntimeError("ERR_RENDER_FAILED", `rendering ${quoteKey(key)} failed and no copy is stored: ${String(error)}`, { cause: error }));
        answer({ kind: "failed", error });
        return { kind: "failed", error };
      }
      // A first render of an unknown URL (MISS, not a forced one) spends the not-found budget.
      const why = responseBypassReason(response, cacheableStatus) ?? (state === "MISS" ? notFound.overBudget(m.route.path, response.status) : undefined);
      if (why) {
        answer({ kind: "uncacheable", response, why });
        return { kind: "uncacheable" };
      }
      // Stream to the first client while a copy is collected for the store.
      const [toClient, toStore] = response.body ? response.body.tee() : [null, null];
      answer({ kind: "cacheable", response: new Response(toClient, response) });
      const bytes = toStore ? new Uint8Array(await new Response(toStore).arrayBuffer()) : new Uint8Array(0);
      const { page, landed } = await store(handler, key, m, response.status, response.headers, bytes, generatedAt);
      ctx.waitUntil(landed);
      return { kind: "stored", page, landed };
    });
    ctx.waitUntil(shared);
    const outcome = await leader;
    if (outcome.kind === "failed") return renderError(outcome.error, client);
    const headers = new Headers(outcome.response.headers);
    if (outcome.kind === "cacheable") {
      stateHeaders(headers, state, timing.header(state));
      cacheHeaders(headers, cacheControlFor(m.route, outcome.response.status), personal(m.route), { age: 0, stale: false, tags: tagsFor(m) });
      headers.set("age", "0");
      headers.set("x-edge-isr-generated-at", new Date(now()).toISOString());
    } else {
      bypassHeaders(headers, outcome.why, timing.header("BYPASS"), true);
    }
    const body = client.method === "HEAD" ? null : outcome.response.body;
    return new Response(body, { status: outcome.response.status, statusText: outcome.response.statusText, headers });
  }

  async function renderError(error: unknown, request: Request): Promise<Response> {
    if (options.renderError) return options.renderError(error, request);
    return new Response("Internal Server Error", { status: 500, headers: { "content-type": "text/plain", "cache-control": "no-store" } });
  }

  async function bypass(m: Matched<Env> | undefined, request: Request, env: Env, ctx: WaitUntil, timing: Timing, why: string): Promise<Response> {
    let response: Response;
    try {
      response = options.fallback && !m ? await options.fallback(request, env, ctx) : await render(m, request, env, ctx, "bypass", timing);
    } catch (error) {
      return renderError(error, request);
    }
    const headers = new Headers(response.headers);
    bypassHeaders(headers, why, timing.header("BYPASS"), m !== undefined);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }

  async function handle(request: Request, env: Env, ctx: WaitUntil): Promise<Response> {
    const timing = new Timing(now);
    const url = new URL(request.url);
    const handler = () => handlerFor(env);

    if (options.revalidateEndpoint && url.pathname === endpointPath) {
      // Workers Cache (ctx.cache, where the runtime has it) is purged of the same tags.
      return handleRevalidate(request, options.revalidateEndpoint.secret(env), handler(), (ctx as { cache?: unknown }).cache);
    }
    const prerenderToken = prerenderTokenFor(env);
    const prerendering = prerenderToken !== undefined && prerenderToken !== "" && request.headers.get(PRERENDER_HEADER) === prerenderToken;
    if (prerendering && url.pathname === PRERENDER_MANIFEST_PATH) {
      // `buildId` is this Worker's own build (what a prerender stores); `buildPointer` tells the
      // CLI whether `promote`/`rollback` can change what it serves.
      return Response.json({ buildId: buildIdFor(env), paths: await prerenderManifest(env), buildPointer: pointer !== undefined });
    }
    const path = normalizePath(url.pathname);
    const m = path === undefined ? undefined : match(path);
    if (!m) return bypass(undefined, request, env, ctx, timing, path === undefined ? "the path cannot be cached" : "no ISR route matches");
    const notListed = await unlisted(m, request, env, timing);
    if (notListed) return notListed;
    const why = requestBypassReason(request, m.route);
    if (why) return bypass(m, request, env, ctx, timing, why);

    const query = allowedQuery(url.searchParams, m.route.query);
    // A prerender stores this Worker's own build, never the one a pointer promoted before it.
    const key = pageKey(prerendering ? buildIdFor(env) : await currentBuild(env), m.path, query);
    // Renders see a clean request: the key's path and query, the configured origin
    // and no client header at all (not even Accept), so nothing a client sends —
    // cookies, Host/X-Forwarded-Host, x-middleware-*, RSC headers — can shape a
    // shared entry. Built only when something renders: a HIT never needs it.
    const renderRequest = () => new Request(`${originFor(env) ?? url.origin}${m.path}${query}`, { headers: { accept: RENDER_ACCEPT } });
    const cache = handler();

    if (prerendering) {
      // Answer only once the entry is stored, so the CLI can read it back at once.
      const response = await miss(cache, key, m, request, renderRequest(), env, ctx, timing, "REVALIDATED");
      const storing = misses.join(key); // taken before the body is read: the flight ends once it is collected
      const body = new Uint8Array(await response.arrayBuffer());
      const result = (await storing)?.value;
      if (result?.kind === "stored") await result.landed;
      const headers = new Headers(response.headers);
      headers.set("x-edge-isr-key", key);
      return new Response(body, { status: response.status, headers });
    }
    const forced = request.headers.get(REVALIDATE_HEADER);
    if (forced !== null) {
      const secret = options.revalidateEndpoint?.secret(env);
      if (secret && (await secretsEqual(forced, secret))) return miss(cache, key, m, request, renderRequest(), env, ctx, timing, "REVALIDATED");
    }

    let page: CachedPage | null = null;
    try {
      page = await timing.measure("kv", () =>
        withTimeout(readPage(cache, key, { kind: "APP_PAGE" }), cacheTimeoutMs, () => new EdgeIsrRuntimeError("ERR_CACHE_READ", `reading ${quoteKey(key)} took longer than ${cacheTimeoutMs} ms`)),
      );
    } catch (error) {
      report(error instanceof EdgeIsrRuntimeError ? error : new EdgeIsrRuntimeError("ERR_CACHE_READ", `reading ${quoteKey(key)} failed; rendering instead: ${String(error)}`, { cause: error }));
    }
    if (page && !page.stale) return serve(page, request, m, "HIT", timing);
    if (page) {
      ctx.waitUntil(regenerate(cache, key, page, m, renderRequest(), env, ctx));
      return serve(page, request, m, "STALE", timing);
    }
    return miss(cache, key, m, request, renderRequest(), env, ctx, timing, "MISS");
  }

  return {
    /** The Worker's `fetch`. */
    async fetch(request: Request, env: Env, ctx: WaitUntil): Promise<Response> {
      try {
        return await handle(request, env, ctx);
      } finally {
        ctx.waitUntil(backgroundWork());
      }
    },
    /** The key a URL's page is stored under (for tools such as the CLI); `undefined` when no route matches. */
    keyFor(url: string | URL, env: Env, buildId: string = buildIdFor(env)): string | undefined {
      const u = new URL(url);
      const path = normalizePath(u.pathname);
      const m = path === undefined ? undefined : match(path);
      return m ? pageKey(buildId, m.path, allowedQuery(u.searchParams, m.route.query)) : undefined;
    },
    stats,
  };
}
