/** A small app on the real KV binding, with a manual clock and a collectable `waitUntil`. */
import { env } from "cloudflare:test";
import { KVCacheHandler, type KVCacheHandlerOptions } from "@edge-isr/kv-cache-handler";
import { manualClock } from "../../../test/helpers/clock.js";
import { countingKV } from "../../../test/helpers/counting-kv.js";
import { type ISROptions, type ISRRoute, createISR } from "../src/index.js";

export interface TestApp {
  fetch(path: string, init?: RequestInit & { origin?: string }): Promise<Response>;
  /** Waits for every `waitUntil` promise so far (background regenerations, stores). */
  drain(): Promise<void>;
  clock: ReturnType<typeof manualClock>;
  counting: ReturnType<typeof countingKV<KVNamespace>>;
  handler: KVCacheHandler;
  isr: ReturnType<typeof createISR<typeof env>>;
  /** Renders so far, and knobs the render function reads. */
  state: {
    renders: number;
    version: number;
    fail: boolean;
    headers: Record<string, string>;
    status: number;
    delay: Promise<void> | undefined;
  };
  errors: string[];
  /** Every line the handler and the pipeline logged (warnings and errors). */
  logs: string[];
}

export const routes: ISRRoute<typeof env>[] = [
  { path: "/", revalidate: 60 },
  { path: "/products/:id", revalidate: 60, expire: 3600, tags: (p) => ["products", `product:${p.id}`], query: ["variant"] },
  { path: "/blog/:slug", revalidate: false, tags: ["blog"] },
  { path: "/about", revalidate: false },
  // Rendered per user when the request carries its session cookie; shared otherwise.
  { path: "/account/:tab", revalidate: 60, personalCookies: ["session", "sb-*"] },
];

export function createTestApp(
  options: Partial<ISROptions<typeof env>> = {},
  shared?: { handlerPrefix?: string; clock?: ReturnType<typeof manualClock>; handlerOptions?: KVCacheHandlerOptions },
): TestApp {
  const clock = shared?.clock ?? manualClock();
  const counting = countingKV(env.CACHE, { now: clock.now });
  const errors: string[] = [];
  const logs: string[] = [];
  const log = (line: string) => void logs.push(line);
  const handler = new KVCacheHandler(counting.kv, {
    prefix: shared?.handlerPrefix ?? `rt-${crypto.randomUUID().slice(0, 8)}/`,
    now: clock.now,
    sleep: clock.sleep,
    logger: { warn: log, error: log },
    ...shared?.handlerOptions,
  });
  const state: TestApp["state"] = { renders: 0, version: 1, fail: false, headers: {}, status: 200, delay: undefined };
  const isr = createISR<typeof env>({
    routes,
    handler,
    buildId: "b1",
    now: clock.now,
    logger: { warn: log, error: (m: string) => void (errors.push(m), log(m)) },
    render: async (request, { params }) => {
      state.renders++;
      if (state.delay) await state.delay;
      if (state.fail) throw new Error("the database is down");
      const url = new URL(request.url);
      // Pages under /blog are long enough for gzip to pay, the others are stored raw.
      const filler = url.pathname.startsWith("/blog/") ? "<p>A paragraph of a blog post about caching at the edge.</p>".repeat(40) : "";
      const html = `<!doctype html><h1>${url.pathname}${url.search} v${state.version}</h1><p>${JSON.stringify(params)}</p><p>cookie:${request.headers.get("cookie") ?? "none"}</p>${filler}`;
      return new Response(html, { status: state.status, headers: { "content-type": "text/html; charset=utf-8", ...state.headers } });
    },
    ...options,
  });
  const pending: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p) };
  return {
    // Each request is one Worker invocation, with production's KV budget (its waitUntil work included).
    fetch: async (path, init = {}) =>
      (await counting.run(() => isr.fetch(new Request(`${init.origin ?? "https://shop.example"}${path}`, init), env, ctx))).result,
    async drain() {
      while (pending.length) await Promise.allSettled(pending.splice(0));
    },
    clock,
    counting,
    handler,
    isr,
    state,
    errors,
    logs,
  };
}

export const cacheState = (res: Response) => res.headers.get("x-edge-isr-cache");
export const text = async (res: Response) => {
  if (res.headers.get("content-encoding") === "gzip") {
    return new Response(res.body!.pipeThrough(new DecompressionStream("gzip"))).text();
  }
  return res.text();
};
