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
    return {
      handler: make(),
      another: () => make(),
      counting,
      rawKV: env.CACHE,
      clock,
      locate: (k) => kvKeyFor(prefix, k),
      errors,
      warnings,
      with: make,
      tagClock: mode,
    };
  };
}

testCacheHandler({ name: "KVCacheHandler (source, KV-only tag clock)", create: kvFixture(() => source) });
// The KV path itself, without the L1 in front (packages/kv-cache-handler/test/l1.test.ts covers the L1).
testCacheHandler({
  name: "KVCacheHandler (source, coordinator, l1 off)",
  create: kvFixture(() => source, { coordinator: env.EDGE_ISR_COORDINATOR, binding: "CACHE", l1: false }),
});
testCacheHandler({ name: "KVCacheHandler (prefix, cacheTtl 30)", create: kvFixture(() => source, { prefix: "build-42/", cacheTtl: 30 }) });

/**
 * With the L1 (on by default with a coordinator) the isolate that wrote an entry
 * serves the colo's copy of it for `l1.seconds`: damage or faults injected
 * under KV afterwards, and KV read counts, are not what these cases assume.
 */
const L1_SERVES_ITS_COPY =
  "the L1 serves the copy this colo wrote, not the bytes put under KV afterwards (the l1-off fixture runs this case on KV; l1.test.ts covers the L1)";
const l1Skips: Record<string, string> = {
  "100 hits on a busy isolate are 100 key reads and 0 writes": "with the L1 most hits read no KV at all; l1.test.ts counts them",
  "a stale hit after an invalidation is 1 read and 0 writes in a warm isolate":
    "with the L1 the stale hit reads no KV; l1.test.ts counts it",
  "a miss is 1 read and 0 writes": "a cold isolate's clock snapshot read lands during the L1's Cache API lookup; l1.test.ts counts misses",
  "a corrupt entry heals when it is set again": L1_SERVES_ITS_COPY,
  "a failing KV read is a miss, reported with ERR_KV_READ": L1_SERVES_ITS_COPY,
  "a read that hangs past the timeout is a miss, reported with ERR_KV_TIMEOUT": L1_SERVES_ITS_COPY,
  "an entry whose metadata was lost reads as a miss": L1_SERVES_ITS_COPY,
};
for (const what of [
  "a flipped magic byte",
  "an unknown format version",
  "a truncated value",
  "a value with bytes appended",
  "a flipped byte in a compressed part",
  "a flipped byte in the header",
  "random bytes",
  "an empty value",
]) {
  l1Skips[`${what} reads as a miss`] = L1_SERVES_ITS_COPY;
}
l1Skips["a flipped byte in an uncompressed part fails its checksum"] = L1_SERVES_ITS_COPY;
l1Skips["an isolate that read an entry sees another isolate's overwrite on its next get"] =
  "an isolate holding a fresh copy in memory sees an overwrite made by another isolate within l1.memorySeconds (5 s), the bound documented for the L1 (l1.test.ts checks it); stale or invalidated copies are never served from memory";
testCacheHandler({
  name: "KVCacheHandler (built dist/index.js, coordinator, L1 on by default)",
  // @ts-expect-error: built by `npm run build`, which `npm test` runs first
  create: kvFixture(() => import("../../packages/kv-cache-handler/dist/index.js") as Promise<HandlerModule>, {
    coordinator: env.EDGE_ISR_COORDINATOR,
    binding: "CACHE",
  }),
  skip: l1Skips,
});

// The object vinext's `cache.data` slot gets from @edge-isr/kv-cache-handler/vinext: the same
// contract through the adapter (binding looked up on first use, options passed through).
testCacheHandler({
  name: "KVCacheHandler through the vinext adapter (src/vinext.ts)",
  create: kvFixture(async () => {
    const { default: createVinextDataCache } = await import("../../packages/kv-cache-handler/src/vinext.js");
    return {
      kvKeyFor: source.kvKeyFor,
      // A function, not an arrow: the suite calls it with `new` (it returns the adapter's cache).
      // biome-ignore lint/complexity/useArrowFunction: arrow functions cannot be called with new
      KVCacheHandler: function (kv: KVNamespace, options: source.KVCacheHandlerOptions) {
        return createVinextDataCache({ env: { VINEXT_KV_CACHE: kv }, options: options as never });
      } as unknown as typeof source.KVCacheHandler,
    };
  }),
});
