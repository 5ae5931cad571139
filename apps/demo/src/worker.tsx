/**
 * The demo Worker, wired as a user would: KVCacheHandler on the CACHE
 * namespace, @edge-isr/runtime's ISR routes for the shop's pages, and plain
 * (never cached) handlers for the admin pages.
 */
import { KVCacheHandler } from "@edge-isr/kv-cache-handler";
import { createISR, setCacheHandler } from "@edge-isr/runtime";
import { getProduct, listProducts, productIds } from "./db";
import { adminSecret, editProduct, purgeTag, type ActionResult } from "./server/admin";
import { renderDocument } from "./server/document";
import { listEntries } from "./server/inspector";
import type { Flash, PageData, Review } from "./types";

interface Env {
  CACHE: KVNamespace;
  DB: KVNamespace;
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

/** Renders a page; `cached: false` for the admin pages, whose badge then shows no window. */
function page(env: Env, data: PageData, status = 200, cached = true) {
  return renderDocument({ data, info: { generatedAt: Date.now(), revalidate: cached ? revalidateOf(env) : null, buildId: buildIdOf(env) } }, { status });
}

// The routes' windows come from the environment, so the ISR pipeline is built
// on the first request (one per isolate, like the cache handler).
let isr: ReturnType<typeof createISR<Env>> | undefined;
function isrFor(env: Env) {
  const revalidate = revalidateOf(env);
  return (isr ??= createISR<Env>({
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
    fallback: (request, env) => admin(request, env),
  }));
}

let cache: KVCacheHandler | undefined;

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
  const inspectorView = async (): Promise<PageData> => ({ page: "inspector", entries: await listEntries(env.CACHE, Date.now()), currentBuild: buildIdOf(env), now: Date.now(), localDefaultSecret: localDefault });

  const edit = /^\/admin\/products\/([^/]+)$/.exec(url.pathname);
  if (request.method === "POST" && edit) return answer(await editProduct(request, env, decodeURIComponent(edit[1]!), Date.now()), adminView);
  if (request.method === "POST" && url.pathname === "/admin/purge") return answer(await purgeTag(request, env, cache!), inspectorView);
  if (request.method === "GET" && url.pathname === "/admin") return adminPage({ ...(await adminView()), flash } as PageData);
  if (request.method === "GET" && url.pathname === "/admin/cache") return adminPage({ ...(await inspectorView()), flash } as PageData);
  return adminPage({ page: "not-found", path: url.pathname }, 404);
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    setCacheHandler((cache ??= new KVCacheHandler(env.CACHE)));
    return isrFor(env).fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
