/**
 * The demo shop, wired as a user would: KVCacheHandler on the CACHE
 * namespace, @edge-isr/runtime's ISR routes for the shop's pages, and plain
 * (never cached) handlers for the admin pages. `worker.tsx` deploys it as is;
 * the fault suite and the soak benchmark build one with a wrapped KV and a clock.
 */
import { KVCacheHandler, type KVCacheHandlerOptions } from "@edge-isr/kv-cache-handler";
import { createISR, setCacheHandler, type ISROptions } from "@edge-isr/runtime";
import { getProduct, listProducts, productIds } from "./db";
import { adminPages } from "./server/admin-pages";
import { renderDocument } from "./server/document";
import type { PageData, Review } from "./types";

export interface Env {
  CACHE: KVNamespace;
  DB: KVNamespace;
  /** The tag-clock coordinator (EdgeIsrCoordinator, exported by worker.tsx): invalidations are serialized there. */
  EDGE_ISR_COORDINATOR?: DurableObjectNamespace;
  /** Freshness window of every page, seconds (from DEMO_REVALIDATE_SECONDS at build time). */
  REVALIDATE_SECONDS: string;
  BUILD_ID: string;
  /** The admin secret: the admin pages' sign-in and the revalidation endpoint's bearer token. */
  EDGE_ISR_SECRET?: string;
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
  return authors.slice(0, 2 + (Number(id) % 3)).map((author, i) => ({
    author,
    stars: 3 + ((Number(id) + i) % 3),
    text: i % 2 ? "Fast, even on a cold start." : "Exactly as fresh as promised.",
  }));
}

/** What a test or benchmark can change; the deployed Worker uses none of it. */
export interface ShopOptions {
  /** Wraps the CACHE binding (e.g. to count operations or inject faults). */
  cacheKV?: (env: Env) => KVNamespace;
  /** Extra options of the KVCacheHandler. */
  handler?: KVCacheHandlerOptions;
  /** Extra options of the ISR pipeline (timeouts, logger). */
  isr?: Partial<Pick<ISROptions<Env>, "cacheTimeoutMs" | "renderTimeoutMs" | "logger" | "onError" | "retryBackoff">> & {
    notFoundBudget?: { writes: number; perSeconds: number };
  };
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
    renderDocument(
      { data, info: { generatedAt: now(), revalidate: cached ? revalidateOf(env) : null, buildId: buildIdOf(env) } },
      { status },
    );

  function isrFor(env: Env) {
    const revalidate = revalidateOf(env);
    const { notFoundBudget, ...isrOptions } = options.isr ?? {};
    return (isr ??= createISR<Env>({
      ...isrOptions,
      now,
      buildId: buildIdOf,
      routes: [
        { path: "/", revalidate, tags: ["catalogue", "products"] },
        // Only the catalogue's products: /products/<anything else> is a 404 with no render of a product and no KV.
        {
          path: "/products/:id",
          revalidate,
          tags: ({ id }) => [`product:${id}`, "products"],
          staticParams: () => productIds().map((id) => ({ id })),
          dynamicParams: false,
        },
        // No staticParams: not prerendered, so its first request is a MISS; an unknown id's 404 is stored briefly, within the budget.
        { path: "/products/:id/reviews", revalidate, tags: ({ id }) => [`product:${id}`, "products"] },
      ],
      notFound: {
        ...(notFoundBudget ? { budget: notFoundBudget } : {}),
        response: (request, env) => page(env, { page: "not-found", path: new URL(request.url).pathname, note: "unlisted" }, 404, false),
      },
      render: async (request, { params, env, route }) => {
        if (route?.path === "/") return page(env, { page: "catalogue", products: await listProducts(env.DB) });
        const product = params.id === undefined ? undefined : await getProduct(env.DB, params.id);
        // A 404 is stored for a few minutes (within the not-found budget): a flood of requests for it costs one render.
        if (!product) return page(env, { page: "not-found", path: new URL(request.url).pathname, note: "brief" }, 404);
        if (route?.path === "/products/:id/reviews") return page(env, { page: "reviews", product, reviews: reviewsFor(product.id) });
        return page(env, { page: "product", product });
      },
      // POST /_isr/revalidate with `Authorization: Bearer <EDGE_ISR_SECRET>`; off without EDGE_ISR_SECRET.
      revalidateEndpoint: { secret: (env) => env.EDGE_ISR_SECRET },
      fallback: (request, env) => admin(request, env),
    }));
  }

  /** The admin pages (server/admin-pages.ts): never cached, no-store for browsers and CDNs. */
  function admin(request: Request, env: Env): Promise<Response> {
    const adminPage = async (data: PageData, status = 200) => {
      const response = await page(env, data, status, false);
      response.headers.set("cache-control", "no-store");
      return response;
    };
    return adminPages(request, env, { page: adminPage, cache: cache!, cacheKV: cacheKV(env), buildId: buildIdOf(env), now: now() });
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
