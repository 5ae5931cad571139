/**
 * `POST /_isr/revalidate` with `Authorization: Bearer <secret>` and a JSON
 * body `{ "tags"?: string[], "paths"?: (string | { path, type })[], "expire"?: number, "profile"?: string }`:
 * without `expire` or `profile` the entries expire now (Next 16's `revalidateTag`);
 * `"profile": "max"` makes them stale (served while they regenerate).
 * Disabled (404) when no secret is configured; 401 without the right secret
 * (compared in constant time); 400 naming the bad field; 413 over 64 KiB;
 * 503 when the invalidation did not fully reach KV or the coordinator, so the
 * caller retries (it is safe to repeat). Answers counts only, never entries.
 */
import type { CacheHandler, InvalidationResult } from "@edge-isr/kv-cache-handler";
import { RuntimeLimits } from "./limits.js";
import { durationsOf, pathTag } from "./revalidate.js";

export const MAX_ENDPOINT_BODY = RuntimeLimits.maxEndpointBodyBytes;
/** Tags and paths in one request; a client with more sends several requests. */
export const MAX_ENDPOINT_ITEMS = RuntimeLimits.maxEndpointItems;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** Compares two secrets in time independent of where they differ (both are hashed to 32 bytes first). */
export async function secretsEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  const subtle = crypto.subtle as SubtleCrypto & { timingSafeEqual?: (a: ArrayBufferView, b: ArrayBufferView) => boolean };
  if (typeof subtle.timingSafeEqual === "function") return subtle.timingSafeEqual(a, b);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const hasInvalidate = (
  handler: CacheHandler,
): handler is CacheHandler & {
  invalidate(tags: string[], durations?: { expire?: number }, options?: { workersCache?: unknown }): Promise<InvalidationResult>;
} => typeof (handler as { invalidate?: unknown }).invalidate === "function";

/** Answers a revalidation request; `workersCache` (the request's `ctx.cache`) is purged of the same tags by KVCacheHandler. */
export async function handleRevalidate(
  request: Request,
  secret: string | undefined,
  handler: CacheHandler,
  workersCache?: unknown,
): Promise<Response> {
  if (!secret) return json(404, { error: "revalidation endpoint disabled: no secret configured" });
  if (request.method !== "POST") return new Response(null, { status: 405, headers: { allow: "POST" } });
  const auth = request.headers.get("authorization") ?? "";
  const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
  if (!(await secretsEqual(token, secret))) return json(401, { error: "missing or wrong bearer secret" });

  const length = Number(request.headers.get("content-length") ?? 0);
  if (length > MAX_ENDPOINT_BODY) return json(413, { error: `body is ${length} bytes, over the limit of ${MAX_ENDPOINT_BODY}` });
  const text = await request.text();
  if (text.length > MAX_ENDPOINT_BODY) return json(413, { error: `body is over the limit of ${MAX_ENDPOINT_BODY} bytes` });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return json(400, { error: "body must be JSON: { tags?: string[], paths?: string[], expire?: number, profile?: string }" });
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return json(400, { error: "body must be a JSON object" });
  const { tags = [], paths = [], expire, profile } = body as { tags?: unknown; paths?: unknown; expire?: unknown; profile?: unknown };
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string" || t.length === 0 || t.length > 256)) {
    return json(400, { error: 'field "tags" must be an array of non-empty strings of at most 256 characters' });
  }
  if (!Array.isArray(paths)) return json(400, { error: 'field "paths" must be an array' });
  if (tags.length + paths.length > MAX_ENDPOINT_ITEMS)
    return json(400, {
      error: `fields "tags" and "paths" hold ${tags.length + paths.length} items, over the limit of ${MAX_ENDPOINT_ITEMS}`,
    });
  if (expire !== undefined && (typeof expire !== "number" || !(expire >= 0)))
    return json(400, { error: 'field "expire" must be a number of seconds ≥ 0' });
  if (profile !== undefined && typeof profile !== "string")
    return json(400, { error: 'field "profile" must be a cache-life profile name such as "max"' });
  if (profile !== undefined && expire !== undefined) return json(400, { error: 'give "expire" or "profile", not both' });
  let durations: { expire?: number } | undefined;
  try {
    durations = durationsOf(profile ?? (expire === undefined ? undefined : { expire: expire as number }));
  } catch (error) {
    return json(400, {
      error: `field "profile": ${String((error as Error).message).replace(/^\[edge-isr\] ERR_OPTION_INVALID: revalidateTag: /, "")}`,
    });
  }
  if (tags.length + paths.length === 0) return json(400, { error: 'give at least one of "tags" or "paths"' });

  const all = [...(tags as string[])];
  for (const [i, item] of paths.entries()) {
    const path = typeof item === "string" ? item : (item as { path?: unknown })?.path;
    const type = typeof item === "object" && item !== null ? (item as { type?: unknown }).type : undefined;
    if (typeof path !== "string" || !path.startsWith("/") || (type !== undefined && type !== "page" && type !== "layout")) {
      return json(400, { error: `field "paths[${i}]" must be a path starting with "/" or { path, type: "page" | "layout" }` });
    }
    try {
      all.push(pathTag(path, type as "page" | "layout" | undefined));
    } catch {
      return json(400, { error: `field "paths[${i}]" is not a valid path` });
    }
  }
  try {
    // KVCacheHandler's `invalidate` says what happened; any other handler's `revalidateTag` is trusted.
    let result: InvalidationResult | undefined;
    if (hasInvalidate(handler)) result = await handler.invalidate(all, durations, { workersCache });
    else await handler.revalidateTag(all, durations);
    if (result?.failed)
      return json(503, { error: `${result.failed} write(s) of the invalidation did not land in KV; try again (it is safe to repeat)` });
    if (result?.degraded) {
      return json(503, {
        error:
          "the coordinator could not be reached: the invalidation is stored in KV and reaches other isolates once the coordinator picks it up (within a minute); try again to apply it at once",
      });
    }
    // `expire`: seconds until the entries expire (0: now), null when they only went stale.
    const seconds = durations === undefined ? 0 : (durations.expire ?? null);
    // `cdn`: the Workers Cache purge (tags named, calls failed); a failed purge leaves CDN copies to their max-age.
    return json(200, {
      revalidated: { tags: tags.length, paths: paths.length },
      expire: seconds,
      via: result?.via ?? "handler",
      ...(result?.cdn ? { cdn: result.cdn } : {}),
    });
  } catch (error) {
    // The cache could not record it: say so, so the caller retries (pages keep being served).
    return json(503, { error: `revalidation failed, try again: ${String((error as Error)?.message ?? error).slice(0, 200)}` });
  }
}
