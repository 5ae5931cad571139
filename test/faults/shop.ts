/**
 * The demo's shop (apps/demo/src/shop.ts, its real routes and renders) on
 * Miniflare's KV behind the fault-injecting wrapper, with a manual clock and
 * collectable `waitUntil`. One `openShop()` is one isolate; `sameKV` makes a
 * second isolate over the same entries.
 */
import { env } from "cloudflare:test";
import { type Env, createShop } from "../../apps/demo/src/shop.js";
import { manualClock } from "../helpers/clock.js";
import { countingKV } from "../helpers/counting-kv.js";

/** The demo's pages, as a visitor reaches them (the reviews of product 99 are a stored 404). */
export const PAGES = [
  "/",
  "/products/1",
  "/products/2",
  "/products/3",
  "/products/4",
  "/products/5",
  "/products/6",
  "/products/2/reviews",
  "/products/99/reviews",
] as const;
/** Pages whose answer is a 404. */
export const MISSING = new Set<string>(["/products/99/reviews"]);
export const ADMIN_SECRET = "faults-admin-secret";
export const WINDOW_SECONDS = 20;

export interface Shop {
  get(path: string, headers?: HeadersInit): Promise<Response>;
  post(path: string, body: BodyInit, headers?: HeadersInit): Promise<Response>;
  /** Signs in to the admin as its sign-in form does; returns the session's Cookie header. */
  signIn(): Promise<string>;
  drain(): Promise<void>;
  counting: ReturnType<typeof countingKV<KVNamespace>>;
  clock: ReturnType<typeof manualClock>;
  /** Codes the handler and the pipeline reported (`ERR_KV_TIMEOUT`, …). */
  reported: string[];
  prefix: string;
  stats: () => { renders: number; regenerations: number; failures: number };
}

/** `defaultNotFoundBudget`: the demo's own budget for stored 404s, instead of the fault suite's roomy one. */
export function openShop(
  shared?: { prefix: string; clock: ReturnType<typeof manualClock> },
  timeouts = { readMs: 40, writeMs: 40 },
  options: { defaultNotFoundBudget?: boolean } = {},
): Shop {
  const prefix = shared?.prefix ?? `faults-${crypto.randomUUID().slice(0, 8)}/`;
  const clock = shared?.clock ?? manualClock();
  const counting = countingKV(env.CACHE, { now: clock.now });
  const reported: string[] = [];
  const record = (message: string) => void reported.push(/ERR_[A-Z_]+/.exec(message)?.[0] ?? message);
  const logger = { warn: record, error: record };
  const shop = createShop({
    now: clock.now,
    cacheKV: () => counting.kv,
    handler: { prefix, sleep: clock.sleep, readTimeoutMs: timeouts.readMs, writeTimeoutMs: timeouts.writeMs, logger },
    // While KV fails every MISS of the missing product's reviews renders and tries to store its 404;
    // the default not-found budget (10 an hour) would rightly stop that, which is not what this suite looks at.
    isr: {
      cacheTimeoutMs: timeouts.readMs * 3,
      logger,
      ...(options.defaultNotFoundBudget ? {} : { notFoundBudget: { writes: 1000, perSeconds: 60 } }),
    },
  });
  const shopEnv: Env = {
    CACHE: env.CACHE,
    DB: env.DB,
    REVALIDATE_SECONDS: String(WINDOW_SECONDS),
    BUILD_ID: "faults",
    EDGE_ISR_SECRET: ADMIN_SECRET,
  };
  const pending: Promise<unknown>[] = [];
  const ctx = {
    waitUntil: (p: Promise<unknown>) => void pending.push(p),
    passThroughOnException() {},
    props: {},
  } as unknown as ExecutionContext;
  return {
    // Each request is one Worker invocation with production's KV budget (its waitUntil work included).
    get: async (path, headers) =>
      (await counting.run(() => shop.fetch(new Request(`http://localhost${path}`, { headers }), shopEnv, ctx))).result,
    post: async (path, body, headers) =>
      (await counting.run(() => shop.fetch(new Request(`http://localhost${path}`, { method: "POST", body, headers }), shopEnv, ctx)))
        .result,
    async signIn() {
      const form = new URLSearchParams({ secret: ADMIN_SECRET, next: "/admin" });
      const res = await shop.fetch(new Request("http://localhost/admin/sign-in", { method: "POST", body: form }), shopEnv, ctx);
      const cookie = res.headers.get("set-cookie");
      if (res.status !== 303 || !cookie) throw new Error(`sign-in answered ${res.status}`);
      return cookie.split(";")[0]!;
    },
    async drain() {
      while (pending.length) await Promise.allSettled(pending.splice(0));
    },
    counting,
    clock,
    reported,
    prefix,
    stats: shop.stats,
  };
}

/** A page's product name, or the heading of the catalogue / not-found page: what a visitor must see. */
export async function visible(res: Response): Promise<string> {
  const html = await res.text();
  return /<h1[^>]*>(.*?)<\/h1>/s.exec(html)?.[1]?.replace(/<[^>]+>/g, "") ?? `(no h1 in ${res.status} ${html.slice(0, 80)})`;
}
