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
import { CdnLimits, invalidateInKV, purgeTagsFor, type EdgeIsrCacheError, type InvalidationResult } from "@edge-isr/kv-cache-handler";
import { CliError, redact, redactedLogger } from "../errors.js";
import { asNamespace } from "../kv/adapter.js";
import { openTarget } from "../target-options.js";
import { type EndpointResult, purgeThroughEndpoint } from "./purge-endpoint.js";
import { type PurgeFlags, purgeTags } from "./purge-tags.js";

export type { PurgeFlags } from "./purge-tags.js";

export interface PurgeResult {
  tags: string[];
  /** What the invalidation did (without --endpoint): per-tag records written to the tag clock in KV. */
  invalidation?: InvalidationResult;
  /** The endpoint's answers (with --endpoint). */
  endpoint?: EndpointResult;
  /** Tags purged from the CDN (with --cdn-zone). */
  cdnTags?: number;
}

function requireCdnToken(): string {
  const token = process.env.CLOUDFLARE_API_TOKEN;
  if (!token) {
    throw new CliError(
      "ERR_MISSING_TOKEN",
      "--cdn-zone needs CLOUDFLARE_API_TOKEN, which is not set",
      'create an API token with the "Zone: Cache Purge" permission for this zone and export it: export CLOUDFLARE_API_TOKEN=… (it is never printed).',
    );
  }
  return token;
}

/** Purges `tags` from a zone's cache: both spellings of each (as pages carry them in Cache-Tag), 100 a request. */
async function purgeCdn(zoneId: string, token: string, tags: string[]): Promise<void> {
  const baseURL = process.env.CLOUDFLARE_API_BASE_URL; // as for --remote (else the client's own CLOUDFLARE_BASE_URL)
  const { default: Cloudflare } = await import("cloudflare"); // loaded only when a zone is purged
  const client = new Cloudflare({ apiToken: token, logger: redactedLogger, ...(baseURL ? { baseURL } : {}) });
  const names = purgeTagsFor(tags);
  for (let i = 0; i < names.length; i += CdnLimits.tagsPerPurge) {
    try {
      await client.cache.purge({ zone_id: zoneId, tags: names.slice(i, i + CdnLimits.tagsPerPurge) });
    } catch (error) {
      throw new CliError(
        "ERR_PURGE_FAILED",
        `purging the CDN cache of zone ${zoneId} failed: ${redact(String((error as Error)?.message ?? error))}`,
        'check the zone id and that the token has the "Zone: Cache Purge" permission for it; the KV entries were already invalidated, and running the command again is safe.',
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
    throw new CliError(
      "ERR_BAD_ARGUMENT",
      "--stale and --expire contradict each other",
      "pass --stale to serve the pages while they regenerate, or nothing (or --expire) to expire them at once.",
    );
  }
  const stale = Boolean(flags.stale);

  if (flags.endpoint) {
    result.endpoint = await purgeThroughEndpoint(flags.endpoint, tags, stale);
  } else {
    const target = await openTarget(flags);
    try {
      const errors: EdgeIsrCacheError[] = [];
      const invalidation = await invalidateInKV(asNamespace(target), tags, {
        durations: stale ? {} : undefined,
        report: (e) => errors.push(e),
      });
      result.invalidation = invalidation;
      console.log(
        `${stale ? "marked stale" : "expired"} ${what}: ${invalidation.tags} tag record(s) written to the tag clock — ${target.description}`,
      );
      console.log(
        "  Workers read it within ~90 s (30 s + KV's propagation); with a coordinator, after its next poll of KV, up to a minute later. --endpoint reaches the coordinator at once.",
      );
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
