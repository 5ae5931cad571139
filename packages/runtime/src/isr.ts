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
 *
 * A request goes through named steps, each in its own file:
 *   match (match.ts) → key (page-key.ts) → read (read.ts) →
 *   serve (serve.ts) | regenerate (regenerate.ts) | render and store (miss.ts, render.ts, store.ts);
 *   bypass.ts answers what is never cached, prerender.ts what `edge-isr prerender` asks.
 */
import { backgroundWork } from "./background.js";
import { bypass, unlisted } from "./bypass.js";
import { allowedQuery, normalizePath, pageKey } from "./cache-key.js";
import { requestBypassReason } from "./cacheability.js";
import { handleRevalidate, secretsEqual } from "./endpoint.js";
import { matchRoute } from "./match.js";
import { miss } from "./miss.js";
import type { ISROptions, WaitUntil } from "./options.js";
import { keyPage } from "./page-key.js";
import { type Pipeline, createPipeline } from "./pipeline.js";
import { PRERENDER_MANIFEST_PATH, isPrerender, prerenderManifest, prerendered } from "./prerender.js";
import { readCached } from "./read.js";
import { regenerate } from "./regenerate.js";
import { serveCached } from "./serve.js";
import { Timing } from "./timing.js";

export type { ISROptions, ISRRoute, Render, RenderContext, WaitUntil } from "./options.js";
export { PRERENDER_HEADER, PRERENDER_MANIFEST_PATH } from "./prerender.js";

/** Header the CLI and warm-up jobs send, with the revalidation secret, to force a render (REVALIDATED). */
export const REVALIDATE_HEADER = "x-edge-isr-revalidate";

/** Builds the ISR `fetch` for a Worker. See the package README for a quick start. */
export function createISR<Env = unknown>(options: ISROptions<Env>) {
  const p = createPipeline(options);
  const endpointPath = options.revalidateEndpoint?.path ?? "/_isr/revalidate";

  async function handle(request: Request, env: Env, ctx: WaitUntil): Promise<Response> {
    const timing = new Timing(p.now);
    const url = new URL(request.url);
    if (options.revalidateEndpoint && url.pathname === endpointPath) {
      // Workers Cache (ctx.cache, where the runtime has it) is purged of the same tags.
      return handleRevalidate(request, options.revalidateEndpoint.secret(env), p.handlerFor(env), (ctx as { cache?: unknown }).cache);
    }
    const prerendering = isPrerender(p, request, env);
    if (prerendering && url.pathname === PRERENDER_MANIFEST_PATH) return prerenderManifest(p, env);

    // match: a route for the normalized path, whose page this request may share
    const path = normalizePath(url.pathname);
    const m = path === undefined ? undefined : matchRoute(p.routes, path);
    if (!m) {
      return bypass(p, undefined, request, env, ctx, timing, path === undefined ? "the path cannot be cached" : "no ISR route matches");
    }
    const notListed = await unlisted(p, m, request, env, timing);
    if (notListed) return notListed;
    const why = requestBypassReason(request, m.route);
    if (why) return bypass(p, m, request, env, ctx, timing, why);

    // key: the entry under the build served now, and the clean request that renders it
    const { key, renderRequest } = await keyPage(p, m, url, env, prerendering);
    const cache = p.handlerFor(env);
    // A forced render (a prerender, or the revalidation secret in REVALIDATE_HEADER) replaces whatever is stored.
    if (prerendering || (await revalidationForced(p, request, env))) {
      const response = await miss(p, cache, key, m, request, renderRequest(), env, ctx, timing, "REVALIDATED");
      return prerendering ? prerendered(p, key, response) : response;
    }

    // read, then serve (HIT), serve and regenerate (STALE), or render and store (MISS)
    const page = await readCached(p, cache, key, timing);
    if (page && !page.stale) return serveCached(p, page, request, m, "HIT", timing);
    if (page) {
      ctx.waitUntil(regenerate(p, cache, key, page, m, renderRequest(), env, ctx));
      return serveCached(p, page, request, m, "STALE", timing);
    }
    return miss(p, cache, key, m, request, renderRequest(), env, ctx, timing, "MISS");
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
    keyFor(url: string | URL, env: Env, buildId: string = p.buildIdFor(env)): string | undefined {
      const u = new URL(url);
      const path = normalizePath(u.pathname);
      const m = path === undefined ? undefined : matchRoute(p.routes, path);
      return m ? pageKey(buildId, m.path, allowedQuery(u.searchParams, m.route.query)) : undefined;
    },
    /** Renders started, by reason (read by tests and benchmarks). */
    stats: p.stats,
  };
}

/** Whether `request` carries `REVALIDATE_HEADER` with the revalidation secret (compared in constant time). */
async function revalidationForced<Env>(p: Pipeline<Env>, request: Request, env: Env): Promise<boolean> {
  const forced = request.headers.get(REVALIDATE_HEADER);
  if (forced === null) return false;
  const secret = p.options.revalidateEndpoint?.secret(env);
  return Boolean(secret && (await secretsEqual(forced, secret)));
}
