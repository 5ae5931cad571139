/**
 * Handlers that stand for isolates of one colo in the coordinator's tests:
 * each its own memory, all on the same KV (through a counting wrapper), the
 * same coordinator and the same Cache API, on one manual clock.
 */
import { env } from "cloudflare:test";
import type { CountingKV } from "../../../test/helpers/counting-kv.js";
import type { ManualClock } from "../../../test/helpers/clock.js";
import { KVCacheHandler, type KVCacheHandlerOptions } from "../src/index.js";

export function isolateFactory(
  shared: { prefix: string; clock: ManualClock; counting: CountingKV<KVNamespace>; errors: string[] },
  base: KVCacheHandlerOptions,
) {
  return (options: KVCacheHandlerOptions = {}) =>
    new KVCacheHandler(shared.counting.kv, {
      prefix: shared.prefix,
      now: shared.clock.now,
      sleep: shared.clock.sleep,
      coordinator: env.EDGE_ISR_COORDINATOR,
      binding: "CACHE",
      onError: (e) => shared.errors.push(`${e.code} ${e.message}`),
      logger: { warn() {}, error() {} },
      ...base,
      ...options,
    });
}

/** An App Router page value, as the handler stores it. */
export const page = (html = "<p>page</p>") => ({
  kind: "APP_PAGE" as const,
  html,
  rscData: undefined,
  headers: {},
  postponed: undefined,
  status: 200,
});
