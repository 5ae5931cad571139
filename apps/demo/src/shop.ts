/**
 * The demo shop, wired as a user would: KVCacheHandler on the CACHE
 * namespace, @edge-isr/runtime's ISR routes for the shop's pages, and plain
 * (never cached) handlers for the admin pages. `worker.tsx` deploys it as is;
 * the fault suite and the soak benchmark build one with a wrapped KV and a clock.
 */
import { KVCacheHandler, type KVCacheHandlerOptions } from "@edge-isr/kv-cache-handler";
import { createISR, setCacheHandler, type ISROptions } from "@edge-isr/runtime";
import { getProduct, listProducts, productIds } from "./db";
import { adminSecret, editProduct, purgeTag, type ActionResult } from "./server/admin";
import { renderDocument } from "./server/document";
import { listEntries } from "./server/inspector";
import type { Flash, PageData, Review } from "./types";

export interface Env {
  CACHE: KVNamespace;
  DB: KVNamespace;
  /** The tag-clock coordinator (EdgeIsrCoordinator, exported by worker.tsx): invalidations are serialized there. */
  EDGE_ISR_COORDINATOR?: DurableObjectNamespace;
  /** Freshness window of every page, seconds (from DEMO_REVALIDATE_SECONDS at build time). */
  REVALIDATE_SECONDS: string;
  BUILD_ID: string;
  ADMIN_SECRET?: string;
  /** Set by `edge-isr prerender --build-id`. */
  EDGE_ISR_BUILD_ID?: string;
}

const buildIdOf = (env: Env) => env.EDGE_ISR_BUILD_ID ?? env.BUILD_ID ?? "dev";
const revalidateOf = (env: Env) => {
  const seconds = Number(env.REVALIDATE_SECONDS);
  return Number.isFinite(seconds) && seconds >= 1 ? seconds : 20;
};

/** Reviews are made up from the id, so the page is deterministic but not trivial. */
function reviewsFor(id: string): Review[] {
  const authors = ["Ada", "Grace", "Linus", "Barbara", "Ken"];
  return authors.slice(0, 2 + (Number(id) % 3)).map((author, i) => ({ author, stars: 3 + ((Number(id) + i) % 3), text: i % 2 ? "Fast, even on a cold start." : "Exactly as fresh as promised." }));
}

/** What a test or benchmark can change; the deployed Worker uses none of it. */
export interface ShopOptions {
  /** Wraps the CACHE binding (e.g. to count operations or inject faults). */
  cacheKV?: (env: Env) => KVNamespace;
  /** Extra options of the KVCacheHandler. */
  handler?: KVCacheHandlerOptions;
  /** Extra options of the ISR pipeline (timeouts, logger). */
  isr?: Partial<Pick<ISROptions<Env>, "cacheTimeoutMs" | "renderTimeoutMs" | "logger" | "onError" | "retryBackoff">>;
  /** Clock in ms shared by the handler, the pipeline and the pages. Default `Date.now`. */
  now?: () => number;
}

/** The shop as a Worker: `{ fetch }`, plus the pipeline's render counts. */
export function createShop(options: ShopOptions = {}) {
  const now = options.now ?? Date.now;
  // Both are built on the first request, once per isolate: the routes' windows
  // and the KV binding come from the environment.
  let isr: ReturnType<typeof createISR<Env>> | undefined;
  let cache: KVCacheHandler | undefined;

  /** Renders a page; `cached: false` for the admin pages, whose badge then shows no window. */
  const page = (env: Env, data: PageData, status = 200, cached = true) =>
    renderDocument({ data, info: { generatedAt: now(), revalidate: cached ? revalidateOf(env) : null, buildId: buildIdOf(env) } }, { status });

  function isrFor(env: Env) {
    const revalidate = revalidateOf(env);
    return (isr ??= createISR<Env>({
      ...options.isr,
      now,
      buildId: buildIdOf,
      routes: [
        { path: "/", revalidate, tags: ["catalogue", "products"] },
        { path: "/products/:id", revalidate, tags: ({ id }) => [`product:${id}`, "products"], staticParams: () => productIds().map((id) => ({ id })) },
        // No staticParams: not prerendered, so its first request is a MISS.
        { path: "/products/:id/reviews", revalidate, tags: ({ id }) => [`product:${id}`, "products"] },
      ],
      render: async (request, { params, env, route }) => {
        if (route?.path === "/") return page(env, { page: "catalogue", products: await listProducts(env.DB) });
        const product = params.id === undefined ? undefined : await getProduct(env.DB, params.id);
        // A 404 is cached like any page: a flood of requests for a missing product costs one render.
        if (!product) return page(env, { page: "not-found", path: new URL(request.url).pathname }, 404);
        if (route?.path === "/products/:id/reviews") return page(env, { page: "reviews", product, reviews: reviewsFor(product.id) });
        return page(env, { page: "product", product });
      },
      // POST /_isr/revalidate with `Authorization: Bearer <ADMIN_SECRET>`; off without ADMIN_SECRET.
      revalidateEndpoint: { secret: (env) => env.ADMIN_SECRET },
      fallback: (request, env) => admin(request, env),
    }));
  }

  /** The admin pages: /admin, /admin/cache and their POST actions. Never cached. */
  async function admin(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const { localDefault } = adminSecret(env, url);
    const flash: Flash | undefined = url.searchParams.has("ok") ? { kind: "ok", text: url.searchParams.get("ok")!.slice(0, 300) } : undefined;
    // Admin pages are never cached: no window on the badge, and no-store for browsers and CDNs.
    const adminPage = async (data: PageData, status = 200) => {
      const response = await page(env, data, status, false);
      response.headers.set("cache-control", "no-store");
      return response;
    };
    const answer = async (result: ActionResult, view: () => Promise<PageData>) =>
      "redirect" in result ? Response.redirect(new URL(result.redirect, url).toString(), 303) : adminPage({ ...(await view()), flash: result.flash } as PageData, result.status);
    const adminView = async (): Promise<PageData> => ({ page: "admin", products: await listProducts(env.DB), localDefaultSecret: localDefault });
    const inspectorView = async (): Promise<PageData> => ({ page: "inspector", entries: await listEntries(cacheKV(env), cache!), currentBuild: buildIdOf(env), now: now(), localDefaultSecret: localDefault });

    const edit = /^\/admin\/products\/([^/]+)$/.exec(url.pathname);
    if (request.method === "POST" && edit) return answer(await editProduct(request, env, decodeURIComponent(edit[1]!), now()), adminView);
    if (request.method === "POST" && url.pathname === "/admin/purge") return answer(await purgeTag(request, env, cache!), inspectorView);
    if (request.method === "GET" && url.pathname === "/admin") return adminPage({ ...(await adminView()), flash } as PageData);
    if (request.method === "GET" && url.pathname === "/admin/cache") return adminPage({ ...(await inspectorView()), flash } as PageData);
    return adminPage({ page: "not-found", path: url.pathname }, 404);
  }

  const cacheKV = (env: Env) => options.cacheKV?.(env) ?? env.CACHE;

  return {
    fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
      // The production setup: KV as the edge read tier, the coordinator Durable Object for invalidations.
      const coordinator = env.EDGE_ISR_COORDINATOR ? { coordinator: env.EDGE_ISR_COORDINATOR, binding: "CACHE" } : {};
      setCacheHandler((cache ??= new KVCacheHandler(cacheKV(env), { now, ...coordinator, ...options.handler })));
      return isrFor(env).fetch(request, env, ctx);
    },
    /** Renders started by the pipeline (`renders`, `regenerations`, `failures`); zeros before the first request. */
    stats: () => ({ ...(isr?.stats ?? { renders: 0, regenerations: 0, failures: 0 }) }),
  };
}
