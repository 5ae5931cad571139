/** The store step: turns a rendered response into the value the cache handler stores, and stores it. */
import { type CacheHandler, type IncrementalCacheValue, implicitTags, quoteKey } from "@edge-isr/kv-cache-handler";
import { EdgeIsrRuntimeError } from "./errors.js";
import type { Matched } from "./match.js";
import type { ISRRoute } from "./options.js";
import type { CachedPage, PageMeta } from "./page.js";
import type { Pipeline } from "./pipeline.js";

/** Headers never stored: per-response, hop-by-hop, or set by the runtime on every answer. */
const DROPPED = new Set([
  "age",
  "cache-control",
  "connection",
  "content-encoding",
  "content-length",
  "date",
  "etag",
  "keep-alive",
  "server-timing",
  "set-cookie",
  "transfer-encoding",
  "vary",
  "x-edge-isr-cache",
  "x-nextjs-cache",
  "x-edge-isr-generated-at",
  "cache-tag", // set from the entry's tags on every answer
]);

export function storableHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!DROPPED.has(name)) out[name] = value;
  });
  return out;
}

/** A strong ETag from the body's SHA-256, computed once when the page is stored. */
export async function etagOf(body: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body as BufferSource));
  let hex = "";
  for (const byte of digest.subarray(0, 12)) hex += byte.toString(16).padStart(2, "0");
  return `"${hex}"`;
}

const isText = (contentType: string | undefined) => !contentType || /^text\/html\b/i.test(contentType);

/** HTML pages are stored as `APP_PAGE` (html text), anything else as `APP_ROUTE` (bytes). */
export function pageValue(body: Uint8Array, status: number, headers: Record<string, string>, meta: PageMeta): IncrementalCacheValue {
  if (isText(headers["content-type"])) {
    const html = new TextDecoder().decode(body);
    return { kind: "APP_PAGE", html, rscData: undefined, headers, postponed: undefined, status, edgeIsr: meta };
  }
  return { kind: "APP_ROUTE", body: body.slice().buffer, status, headers, edgeIsr: meta };
}

/** A page's tags: its route's own (fixed or from the params) and the implicit path tags `revalidatePath` uses. */
export function tagsFor<Env>(m: Matched<Env>): string[] {
  const own = typeof m.route.tags === "function" ? m.route.tags(m.params) : (m.route.tags ?? []);
  return [...own, ...implicitTags(m.path, m.pattern.nextRoute)];
}

/** How long a page is kept: its route's life, or the short one of a 404/410. */
export function cacheControlFor<Env>(p: Pipeline<Env>, route: ISRRoute<Env>, status: number) {
  const brief = p.notFound.cacheControl(status);
  if (brief) return brief;
  return route.expire === undefined ? { revalidate: route.revalidate } : { revalidate: route.revalidate, expire: route.expire };
}

/**
 * Stores a rendered body. Returns the page as it will be served at once, and
 * `landed`, which settles when the write did (or failed and was reported):
 * nobody waits for KV's write before being answered.
 */
export async function storePage<Env>(
  p: Pipeline<Env>,
  handler: CacheHandler,
  key: string,
  m: Matched<Env>,
  response: { status: number; headers: Headers; body: Uint8Array; generatedAt: number },
): Promise<{ page: CachedPage; landed: Promise<void> }> {
  const { status, body, generatedAt } = response;
  const stored = storableHeaders(response.headers);
  const meta = { etag: await etagOf(body), generatedAt };
  const value = pageValue(body, status, stored, meta);
  const tags = tagsFor(m);
  const cacheControl = cacheControlFor(p, m.route, status);
  const landed = Promise.resolve()
    .then(() => handler.set(key, value, { cacheControl, tags }))
    .catch((cause: unknown) => {
      p.report(new EdgeIsrRuntimeError("ERR_CACHE_WRITE", `storing ${quoteKey(key)} failed: ${String(cause)}`, { cause }));
    });
  const page: CachedPage = {
    lastModified: generatedAt,
    cacheControl,
    stale: false,
    tags,
    status,
    headers: stored,
    meta,
    body: () => ({ body: body.slice(), gzip: false }),
    value: async () => value,
  };
  return { page, landed };
}
