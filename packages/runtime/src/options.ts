/** The options of `createISR` and the types its routes and renderers see. */
import type { NotFoundOptions } from "./not-found.js";
import type { PointerKV } from "./build-pointer.js";
import type { LeaseKV } from "./lease.js";
import type { CacheHandler } from "@edge-isr/kv-cache-handler";
import type { EdgeIsrRuntimeError } from "./errors.js";
import type { CACHEABLE_STATUS } from "./cacheability.js";

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
