/**
 * On-demand revalidation with Next 16's semantics, usable inside a request or
 * outside one (a cron trigger, a queue consumer): they only need the handler.
 *
 *   revalidateTag(tag)               expires now: the next request renders (Next 16's default)
 *   revalidateTag(tag, "max")        stale now, served while it regenerates (stale-while-revalidate)
 *   revalidateTag(tag, "hours")      stale now, expired a day later (the profile's `expire`)
 *   revalidateTag(tag, { expire })   stale now, expired `expire` seconds later (0: now)
 *   updateTag(tag)                   expires now (read-your-own-writes after a mutation)
 *   revalidatePath(path)             expires the path's implicit tag now, as Next 16 does
 */
import { implicitTag, quoteKey } from "@edge-isr/kv-cache-handler";
import type { CacheHandler } from "@edge-isr/kv-cache-handler";
import { MAX_PATH_LENGTH, normalizePath } from "./cache-key.js";
import { EdgeIsrRuntimeError } from "./errors.js";
import { getCacheHandler } from "./registry.js";

/**
 * Next 16's built-in cache-life profiles: `revalidateTag(tag, name)` makes the
 * tag stale now and expired after the profile's `expire` seconds.
 * @see https://nextjs.org/docs/app/api-reference/functions/cacheLife
 */
export const CACHE_LIFE_PROFILES = {
  default: { expire: 31_536_000 },
  seconds: { expire: 60 },
  minutes: { expire: 3_600 },
  hours: { expire: 86_400 },
  days: { expire: 604_800 },
  weeks: { expire: 2_592_000 },
  max: { expire: 31_536_000 },
} as const satisfies Record<string, { expire: number }>;

/** A cache-life profile name (see {@link CACHE_LIFE_PROFILES}) or explicit durations. */
export type RevalidateProfile = keyof typeof CACHE_LIFE_PROFILES | (string & {}) | { expire?: number };

/** The handler's `durations` for a profile: `undefined` (expire now) when none is given. */
export function durationsOf(profile: RevalidateProfile | undefined): { expire?: number } | undefined {
  if (profile === undefined) return undefined;
  if (typeof profile === "object" && profile !== null) {
    const expire = profile.expire;
    if (expire !== undefined && (typeof expire !== "number" || Number.isNaN(expire) || expire < 0)) {
      throw new EdgeIsrRuntimeError(
        "ERR_OPTION_INVALID",
        `revalidateTag: expire ${String(expire).slice(0, 40)} must be a number of seconds ≥ 0`,
      );
    }
    return expire === undefined ? {} : { expire };
  }
  const known = (CACHE_LIFE_PROFILES as Record<string, { expire: number }>)[profile];
  if (!known) {
    throw new EdgeIsrRuntimeError(
      "ERR_OPTION_INVALID",
      `revalidateTag: unknown cache-life profile ${JSON.stringify(String(profile).slice(0, 40))}; use one of ${Object.keys(CACHE_LIFE_PROFILES).join(", ")}, or { expire: seconds }`,
    );
  }
  return { expire: known.expire };
}

/**
 * Invalidates every entry tagged `tag`. Without a profile they expire now (the
 * next request renders, as in Next 16); with `"max"` they go stale and are
 * served while they regenerate; with `{ expire: n }` they are stale now and a
 * miss `n` seconds later.
 * @example await revalidateTag("product:42", "max");
 */
export async function revalidateTag(
  tag: string | string[],
  profile?: RevalidateProfile,
  handler: CacheHandler = getCacheHandler(),
): Promise<void> {
  return handler.revalidateTag(tag, durationsOf(profile));
}

/**
 * Expires every entry tagged `tag` now (read-your-own-writes after a mutation):
 * the next request renders afresh.
 */
export async function updateTag(tag: string | string[], handler: CacheHandler = getCacheHandler()): Promise<void> {
  return handler.revalidateTag(tag, undefined);
}

/**
 * The implicit tag `revalidatePath` invalidates, as Next.js spells it — and,
 * for a path too long for a tag, hashed exactly as the page's own tag was
 * (`implicitTag`), so a page of any cacheable length can be revalidated.
 */
export function pathTag(path: string, type?: "page" | "layout"): string {
  const normalized = normalizePath(path);
  if (normalized === undefined) {
    throw new EdgeIsrRuntimeError(
      "ERR_OPTION_INVALID",
      `revalidatePath: ${quoteKey(path)} is not a valid path (malformed escapes, NUL, or over ${MAX_PATH_LENGTH} characters)`,
    );
  }
  if (!type) return implicitTag(normalized);
  return implicitTag(`${normalized === "/" ? "" : normalized}/${type}`);
}

/**
 * Expires a path now, as Next 16 does: `revalidatePath("/blog/a")` that page,
 * `revalidatePath("/blog", "layout")` every page below `/blog`,
 * `revalidatePath("/blog/[slug]", "page")` every page of that route.
 */
export async function revalidatePath(path: string, type?: "page" | "layout", handler: CacheHandler = getCacheHandler()): Promise<void> {
  return handler.revalidateTag(pathTag(path, type), undefined);
}
