/**
 * @edge-isr/runtime — Next.js-style ISR for any Worker: HIT / STALE / MISS with
 * stale-while-revalidate in `ctx.waitUntil`, on-demand revalidation by tag and
 * path, and a data cache, over any cache handler (e.g. `KVCacheHandler`).
 */
export { setCacheHandler, getCacheHandler, hasCacheHandler } from "./registry.js";
export { BUILD_POINTER_KEY, parsePointer, type BuildPointer } from "./build-pointer.js";
export {
  createISR,
  REVALIDATE_HEADER,
  PRERENDER_HEADER,
  PRERENDER_MANIFEST_PATH,
  type ISROptions,
  type ISRRoute,
  type Render,
  type RenderContext,
  type WaitUntil,
} from "./isr.js";
export {
  revalidateTag,
  updateTag,
  revalidatePath,
  pathTag,
  durationsOf,
  CACHE_LIFE_PROFILES,
  type RevalidateProfile,
} from "./revalidate.js";
export { cached, type CachedOptions } from "./data-cache.js";
export { backgroundWork, defer } from "./background.js";
export { CACHEABLE_STATUS, RSC_HEADERS, requestBypassReason, responseBypassReason, type RequestPolicy } from "./cacheability.js";
export { INFRASTRUCTURE_COOKIES, INFRASTRUCTURE_COOKIE_PREFIXES, isInfrastructureCookie, personalCookie } from "./cookies.js";
export { NOT_FOUND_DEFAULTS, NOT_FOUND_STATUS, type NotFoundOptions } from "./not-found.js";
export { RuntimeLimits } from "./limits.js";
export { normalizePath, allowedQuery, pageKey, MAX_PATH_LENGTH } from "./cache-key.js";
export { cdnCacheControl, SHARED_VARY, type CacheState } from "./serve.js";
export { handleRevalidate, secretsEqual, MAX_ENDPOINT_BODY, MAX_ENDPOINT_ITEMS } from "./endpoint.js";
export { Lease, type LeaseKV } from "./lease.js";
export { EdgeIsrRuntimeError, type EdgeIsrRuntimeErrorCode } from "./errors.js";
export type { CachedPage, PageMeta } from "./page.js";
