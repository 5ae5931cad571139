/**
 * Tags on a CDN: the `Cache-Tag` a stored page carries, and the purge that
 * reaches it (Workers Cache's `ctx.cache.purge({ tags })`, or the `cache`
 * export of `cloudflare:workers`).
 *
 * Cloudflare takes printable ASCII without spaces, at most 1,024 characters a
 * tag, 1,000 tags and 16 KiB a response, and matches tags case-insensitively.
 * A tag that fits is sent as it is; any other — and every tag of a page whose
 * list would not fit — as `eisr-<32 hex of its SHA-256>`. A purge names both
 * spellings of each tag, so it reaches a page whichever one it carries.
 * Case-insensitive matching can only purge more (`Shoes` also purges
 * `shoes`), never less.
 */
import { sha256Sync, toHex } from "./bytes.js";
import { EdgeIsrCacheError } from "./errors.js";
import { CdnLimits } from "./limits.js";

/** What the handler needs of Workers Cache (`ctx.cache`, or `cache` from `cloudflare:workers`). */
export interface WorkersCacheLike {
  purge(options: { tags: string[] }): Promise<unknown>;
}

/** Whether `value` can purge (feature detection: Miniflare and older runtimes have no `ctx.cache`). */
export const canPurge = (value: unknown): value is WorkersCacheLike => typeof (value as WorkersCacheLike | undefined)?.purge === "function";

const FITS = /^[\x21-\x2b\x2d-\x7e]+$/; // printable ASCII, no space, no comma
const hashed = new Map<string, string>();

/** A tag's hashed spelling: `eisr-` and 32 lowercase hex characters of its SHA-256 (case-insensitive matching cannot merge two). */
export function hashedCdnTag(tag: string): string {
  let out = hashed.get(tag);
  if (out === undefined) {
    out = `eisr-${toHex(sha256Sync(tag)).slice(0, 32)}`;
    if (hashed.size >= 4096) hashed.clear(); // bounded; recomputing is cheap
    hashed.set(tag, out);
  }
  return out;
}

const fits = (tag: string) => tag.length <= CdnLimits.maxTagChars && FITS.test(tag);

/**
 * The `Cache-Tag` value naming every one of a page's tags (explicit and
 * implicit) within Cloudflare's limits; `undefined` when it has none — or
 * when even hashed they would not all fit (over ~430 tags: an entry carries at
 * most 128 of its own): a CDN copy that a purge of one of them missed would
 * outlive its invalidation, so the caller keeps such a page out of shared caches.
 */
export function cacheTagHeader(tags: readonly string[]): string | undefined {
  if (!tags.length) return undefined;
  const plain = [...new Set(tags.map((tag) => (fits(tag) ? tag : hashedCdnTag(tag))))];
  let value = plain.join(",");
  if (plain.length > CdnLimits.maxTags || value.length > CdnLimits.maxHeaderBytes) {
    // Too many or too long: every tag hashed (37 characters each).
    const hashes = [...new Set(tags.map(hashedCdnTag))];
    value = hashes.join(",");
    if (hashes.length > CdnLimits.maxTags || value.length > CdnLimits.maxHeaderBytes) return undefined;
  }
  return value;
}

/** The tags a purge names for `tags`: each one's spelling as it is (when it fits) and hashed. */
export function purgeTagsFor(tags: readonly string[]): string[] {
  const out = new Set<string>();
  for (const tag of tags) {
    if (fits(tag)) out.add(tag);
    out.add(hashedCdnTag(tag));
  }
  return [...out];
}

/** What a purge did: tags named, and calls that failed (each reported). */
export interface PurgeResult {
  purged: number;
  failed: number;
}

/**
 * Purges `tags` (both spellings) from Workers Cache, 100 tags a call, each call
 * bounded by `timeoutMs`. Never throws: a call that fails, times out or answers
 * `success: false` (e.g. rate-limited) is reported and counted.
 */
export async function purgeCdn(
  cache: WorkersCacheLike,
  tags: readonly string[],
  options: { timeoutMs: number; report: (error: EdgeIsrCacheError) => void },
): Promise<PurgeResult> {
  const names = purgeTagsFor(tags);
  const calls: string[][] = [];
  for (let i = 0; i < names.length; i += CdnLimits.tagsPerPurge) calls.push(names.slice(i, i + CdnLimits.tagsPerPurge));
  const outcomes = await Promise.all(
    calls.map(async (batch) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const late = new Promise<never>(
          (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs)),
        );
        const answer = (await Promise.race([cache.purge({ tags: batch }), late])) as { success?: unknown; errors?: unknown } | undefined;
        if (answer && answer.success === false) throw new Error(`refused: ${JSON.stringify(answer.errors ?? []).slice(0, 200)}`);
        return true;
      } catch (error) {
        options.report(
          new EdgeIsrCacheError(
            "ERR_CDN_PURGE",
            `purging ${batch.length} tag(s) from Workers Cache failed; pages cached there live out their max-age: ${String((error as Error)?.message ?? error)}`,
            { cause: error },
          ),
        );
        return false;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { purged: names.length, failed: outcomes.filter((ok) => !ok).length };
}
