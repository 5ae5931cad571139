/**
 * Runs the contract suite against KVCacheHandler inside workerd, on
 * Miniflare's real KV: the source, a prefixed configuration, and the built
 * `dist/index.js` that is published.
 */
import { env } from "cloudflare:test";
import * as source from "../../packages/kv-cache-handler/src/index.js";
import { manualClock } from "../helpers/clock.js";
import { countingKV } from "../helpers/counting-kv.js";
import type { HandlerFixture } from "./fixture.js";
import { testCacheHandler } from "./suite.js";

type HandlerModule = Pick<typeof source, "KVCacheHandler" | "kvKeyFor">;

function kvFixture(load: () => Promise<HandlerModule> | HandlerModule, base: source.KVCacheHandlerOptions = {}) {
  return async (): Promise<HandlerFixture> => {
    const { KVCacheHandler, kvKeyFor } = await load();
    const prefix = `${base.prefix ?? ""}t-${crypto.randomUUID().slice(0, 8)}/`;
    const clock = manualClock();
    const counting = countingKV(env.CACHE, { now: clock.now });
    const errors: HandlerFixture["errors"] = [];
    const warnings: string[] = [];
    const make = (options: Record<string, unknown> = {}) =>
      new KVCacheHandler(counting.kv, {
        ...base,
        prefix,
        now: clock.now,
        sleep: clock.sleep,
        onError: (e) => errors.push({ code: e.code, message: e.message }),
        logger: { warn: (m: string) => warnings.push(m), error: () => {} },
        ...options,
      });
    const mode = base.coordinator ? "coordinator" : "kv";
    return { handler: make(), another: () => make(), counting, rawKV: env.CACHE, clock, locate: (k) => kvKeyFor(prefix, k), errors, warnings, with: make, tagClock: mode };
  };
}

testCacheHandler({ name: "KVCacheHandler (source, KV-only tag clock)", create: kvFixture(() => source) });
testCacheHandler({ name: "KVCacheHandler (source, coordinator)", create: kvFixture(() => source, { coordinator: env.EDGE_ISR_COORDINATOR, binding: "CACHE" }) });
testCacheHandler({ name: "KVCacheHandler (prefix, cacheTtl 30)", create: kvFixture(() => source, { prefix: "build-42/", cacheTtl: 30 }) });
testCacheHandler({
  name: "KVCacheHandler (built dist/index.js, coordinator)",
  // @ts-ignore: built by `npm run build`, which `npm test` runs first
  create: kvFixture(() => import("../../packages/kv-cache-handler/dist/index.js") as Promise<HandlerModule>, { coordinator: env.EDGE_ISR_COORDINATOR, binding: "CACHE" }),
});

// The object vinext's `cache.data` slot gets from @edge-isr/kv-cache-handler/vinext: the same
// contract through the adapter (binding looked up on first use, options passed through).
testCacheHandler({
  name: "KVCacheHandler through the vinext adapter (src/vinext.ts)",
  create: kvFixture(async () => {
    const { default: createVinextDataCache } = await import("../../packages/kv-cache-handler/src/vinext.js");
    return {
      kvKeyFor: source.kvKeyFor,
      KVCacheHandler: function (kv: KVNamespace, options: source.KVCacheHandlerOptions) {
        return createVinextDataCache({ env: { VINEXT_KV_CACHE: kv }, options: options as never });
      } as unknown as typeof source.KVCacheHandler,
    };
  }),
});
