/**
 * `edge-isr purge`: invalidate entries by tag (and by path, through Next's
 * implicit path tags) with Next 16's semantics — expired at once by default,
 * stale (served while they regenerate) with `--stale` — either by writing the
 * tags' records to the tag clock in KV (one read and one write per tag, however
 * many entries carry them; a coordinator picks them up within a minute) or
 * through the deployed revalidation endpoint; optionally also purge
 * Cloudflare's zone cache by the same tags, spelled as pages carry them in
 * `Cache-Tag` (as they are, and hashed: see @edge-isr/kv-cache-handler's cdn.ts).
 * Workers Cache is not reached by a zone purge: the Worker purges it itself
 * (ctx.cache.purge) when invalidating.
 */
import Cloudflare from "cloudflare";
import { CdnLimits, HandlerLimits, invalidateInKV, purgeTagsFor, type EdgeIsrCacheError, type InvalidationResult } from "@edge-isr/kv-cache-handler";
import { pathTag } from "@edge-isr/runtime";
import { CliError, redact, redactedLogger } from "../errors.js";
import { asNamespace } from "../kv/adapter.js";
import { openTarget, type TargetFlags } from "../target-options.js";
import { type EndpointResult, purgeThroughEndpoint } from "./purge-endpoint.js";

/** `stale`: served while they regenerate (Next's "max" profile); otherwise expired at once (Next 16's default). `expire` is the default, kept as a flag for scripts that pass it. */
export type PurgeFlags = TargetFlags & { tag?: string[]; path?: string[]; layout?: boolean; expire?: boolean; stale?: boolean; endpoint?: string; cdnZone?: string };

export interface PurgeResult {
  tags: string[];
  /** What the invalidation did (without --endpoint): per-tag records written to the tag clock in KV. */
  invalidation?: InvalidationResult;
  /** The endpoint's answers (with --endpoint). */
  endpoint?: EndpointResult;
  /** Tags purged from the CDN (with --cdn-zone). */
  cdnTags?: number;
}

/** The tags a purge names: `--tag`s, then each `--path`'s implicit tag. */
export function purgeTags(flags: Pick<PurgeFlags, "tag" | "path" | "layout">): string[] {
  const tags = [...(flags.tag ?? [])];
  for (const tag of tags) {
    if (tag.length === 0 || tag.length > HandlerLimits.maxTagLength) {
      throw new CliError("ERR_BAD_ARGUMENT", `--tag ${JSON.stringify(tag.slice(0, 80))} is ${tag.length ? `${tag.length} characters, over the limit of ${HandlerLimits.maxTagLength}` : "empty"}`, `tags are 1 to ${HandlerLimits.maxTagLength} characters, as the pages set them.`);
    }
  }
  for (const path of flags.path ?? []) {
    if (!path.startsWith("/")) {
      throw new CliError("ERR_BAD_ARGUMENT", `--path ${JSON.stringify(path.slice(0, 100))} does not start with "/"`, "pass the page's path as the browser shows it, e.g. --path /blog/hello.");
    }
    try {
      tags.push(pathTag(path, flags.layout ? "layout" : undefined));
    } catch {
      throw new CliError("ERR_BAD_ARGUMENT", `--path ${JSON.stringify(path.slice(0, 100))} is not a valid path`, "pass a path without NUL characters or broken %-escapes, at most 2048 characters long.");
    }
  }
  if (tags.length === 0) {
    throw new CliError("ERR_BAD_ARGUMENT", "purge needs at least one --tag or --path", "name what to invalidate, e.g. `edge-isr purge --tag product:42` or `edge-isr purge --path /blog --layout`.");
  }
  return [...new Set(tags)];
}

function requireCdnToken(): string {
  const token = process.env.CLOUDFLARE_API_TOKEN;
  if (!token) {
    throw new CliError("ERR_MISSING_TOKEN", "--cdn-zone needs CLOUDFLARE_API_TOKEN, which is not set", "create an API token with the \"Zone: Cache Purge\" permission for this zone and export it: export CLOUDFLARE_API_TOKEN=… (it is never printed).");
  }
  return token;
}

/** Purges `tags` from a zone's cache: both spellings of each (as pages carry them in Cache-Tag), 100 a request. */
async function purgeCdn(zoneId: string, token: string, tags: string[]): Promise<void> {
  const baseURL = process.env.CLOUDFLARE_API_BASE_URL; // as for --remote (else the client's own CLOUDFLARE_BASE_URL)
  const client = new Cloudflare({ apiToken: token, logger: redactedLogger, ...(baseURL ? { baseURL } : {}) });
  const names = purgeTagsFor(tags);
  for (let i = 0; i < names.length; i += CdnLimits.tagsPerPurge) {
    try {
      await client.cache.purge({ zone_id: zoneId, tags: names.slice(i, i + CdnLimits.tagsPerPurge) });
    } catch (error) {
      throw new CliError(
        "ERR_PURGE_FAILED",
        `purging the CDN cache of zone ${zoneId} failed: ${redact(String((error as Error)?.message ?? error))}`,
        "check the zone id and that the token has the \"Zone: Cache Purge\" permission for it; the KV entries were already invalidated, and running the command again is safe.",
      );
    }
  }
}

export async function purge(flags: PurgeFlags): Promise<PurgeResult> {
  const tags = purgeTags(flags);
  const cdnToken = flags.cdnZone ? requireCdnToken() : undefined;
  const what = `${tags.length} tag(s) (${tags.join(", ")})`;
  const result: PurgeResult = { tags };
  if (flags.stale && flags.expire) {
    throw new CliError("ERR_BAD_ARGUMENT", "--stale and --expire contradict each other", "pass --stale to serve the pages while they regenerate, or nothing (or --expire) to expire them at once.");
  }
  const stale = Boolean(flags.stale);

  if (flags.endpoint) {
    result.endpoint = await purgeThroughEndpoint(flags.endpoint, tags, stale);
  } else {
    const target = await openTarget(flags);
    try {
      const errors: EdgeIsrCacheError[] = [];
      const invalidation = await invalidateInKV(asNamespace(target), tags, { durations: stale ? {} : undefined, report: (e) => errors.push(e) });
      result.invalidation = invalidation;
      console.log(`${stale ? "marked stale" : "expired"} ${what}: ${invalidation.tags} tag record(s) written to the tag clock — ${target.description}`);
      if (invalidation.failed > 0) {
        throw new CliError(
          "ERR_PURGE_FAILED",
          `${invalidation.failed} of ${invalidation.tags} tag record(s) could not be written${errors[0] ? `; first error: ${redact(errors[0].message)}` : ""}`,
          "check that the namespace is writable, then run the same command again (it is safe to repeat).",
        );
      }
    } finally {
      await target.close();
    }
  }

  if (flags.cdnZone && cdnToken) {
    await purgeCdn(flags.cdnZone, cdnToken, tags);
    result.cdnTags = tags.length;
    console.log(`purged ${tags.length} tag(s) from the CDN cache of zone ${flags.cdnZone}`);
  }
  return result;
}
