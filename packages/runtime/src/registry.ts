/**
 * The process-wide cache handler. Kept on `globalThis` under a symbol so that
 * two copies of this module (a bundler duplicating it) still share one handler.
 */
import type { CacheHandler } from "@edge-isr/kv-cache-handler";
import { EdgeIsrRuntimeError } from "./errors.js";

const KEY = Symbol.for("edge-isr.cacheHandler");
type Global = typeof globalThis & { [KEY]?: CacheHandler };

/**
 * Sets the cache handler every ISR route, `revalidateTag`, `revalidatePath`
 * and `cached` use: our `KVCacheHandler`, vinext's, or any object with the
 * Next.js cache-handler contract.
 * @example setCacheHandler(new KVCacheHandler(env.CACHE));
 */
export function setCacheHandler(handler: CacheHandler): void {
  if (!handler || typeof handler.get !== "function" || typeof handler.set !== "function" || typeof handler.revalidateTag !== "function") {
    throw new EdgeIsrRuntimeError(
      "ERR_OPTION_INVALID",
      "setCacheHandler needs an object with get, set and revalidateTag (the Next.js cache-handler contract)",
    );
  }
  (globalThis as Global)[KEY] = handler;
}

/** The handler set by `setCacheHandler`; throws a coded error saying how to set one if none is. */
export function getCacheHandler(): CacheHandler {
  const handler = (globalThis as Global)[KEY];
  if (!handler) {
    throw new EdgeIsrRuntimeError(
      "ERR_NO_CACHE_HANDLER",
      "no cache handler is set; call setCacheHandler(new KVCacheHandler(env.CACHE)) before handling requests",
    );
  }
  return handler;
}

/** Whether a handler is set (for code that can work without one). */
export function hasCacheHandler(): boolean {
  return (globalThis as Global)[KEY] !== undefined;
}
