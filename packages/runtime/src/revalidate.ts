/**
 * On-demand revalidation with Next 16's semantics, usable inside a request or
 * outside one (a cron trigger, a queue consumer): they only need the handler.
 */
import { implicitTag, quoteKey } from "@edge-isr/kv-cache-handler";
import type { CacheHandler } from "@edge-isr/kv-cache-handler";
import { MAX_PATH_LENGTH, normalizePath } from "./cache-key.js";
import { EdgeIsrRuntimeError } from "./errors.js";
import { getCacheHandler } from "./registry.js";

/** A cache-life profile name (`"max"`, `"hours"` …: all mean "stale, served while it regenerates") or explicit durations. */
export type RevalidateProfile = string | { expire?: number };

/**
 * Marks every entry tagged `tag` stale: served at once, regenerated in the
 * background. `{ expire: n }` also makes them a miss `n` seconds later.
 * @example await revalidateTag("product:42");
 */
export function revalidateTag(tag: string | string[], profile?: RevalidateProfile, handler: CacheHandler = getCacheHandler()): Promise<void> {
  const durations = typeof profile === "object" && profile !== null ? profile : {};
  return handler.revalidateTag(tag, durations);
}

/**
 * Expires every entry tagged `tag` now (read-your-own-writes after a mutation):
 * the next request renders afresh.
 */
export function updateTag(tag: string | string[], handler: CacheHandler = getCacheHandler()): Promise<void> {
  return handler.revalidateTag(tag, { expire: 0 });
}

/**
 * The implicit tag `revalidatePath` invalidates, as Next.js spells it — and,
 * for a path too long for a tag, hashed exactly as the page's own tag was
 * (`implicitTag`), so a page of any cacheable length can be revalidated.
 */
export function pathTag(path: string, type?: "page" | "layout"): string {
  const normalized = normalizePath(path);
  if (normalized === undefined) {
    throw new EdgeIsrRuntimeError("ERR_OPTION_INVALID", `revalidatePath: ${quoteKey(path)} is not a valid path (malformed escapes, NUL, or over ${MAX_PATH_LENGTH} characters)`);
  }
  if (!type) return implicitTag(normalized);
  return implicitTag(`${normalized === "/" ? "" : normalized}/${type}`);
}

/**
 * Revalidates a path: `revalidatePath("/blog/a")` that page,
 * `revalidatePath("/blog", "layout")` every page below `/blog`,
 * `revalidatePath("/blog/[slug]", "page")` every page of that route.
 */
export function revalidatePath(path: string, type?: "page" | "layout", handler: CacheHandler = getCacheHandler()): Promise<void> {
  return handler.revalidateTag(pathTag(path, type), {});
}
