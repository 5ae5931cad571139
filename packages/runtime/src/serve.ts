/** Builds the response for a cached page: headers users know, ETag/304, HEAD, gzip as stored. */
import { type CacheControl, cacheTagHeader } from "@edge-isr/kv-cache-handler";
import { RSC_HEADERS, keepPrivate } from "./cacheability.js";
import type { Matched } from "./match.js";
import type { CachedPage } from "./page.js";
import type { Pipeline } from "./pipeline.js";
import type { Timing } from "./timing.js";

export type CacheState = "HIT" | "STALE" | "MISS" | "REVALIDATED" | "BYPASS";

/** Next's default `expire` (one year) when an entry has none. */
const DEFAULT_EXPIRE = 31_536_000;

/**
 * `Cache-Control` for CDNs, from what is left of the entry's life at `age`
 * seconds: fresh until `revalidate`, then stale-while-revalidate until
 * `expire`. A stale answer is fresh for no time, so no CDN keeps it as fresh.
 */
export function cdnCacheControl(cc: CacheControl | undefined, age = 0, stale = false): string {
  const revalidate = cc?.revalidate === false || cc?.revalidate === undefined ? DEFAULT_EXPIRE : cc.revalidate;
  const expire = cc?.expire ?? DEFAULT_EXPIRE;
  const fresh = stale ? 0 : Math.max(0, revalidate - age);
  const swr = Math.max(0, expire - age - fresh);
  return swr > 0 ? `s-maxage=${fresh}, stale-while-revalidate=${swr}` : `s-maxage=${fresh}`;
}

/**
 * `Vary` of every answer from the cache. The body differs by these request
 * headers: an RSC request (Next's router headers, `Accept: text/x-component`)
 * gets a payload rendered for it alone, and gzip is sent as stored only to
 * clients that take it. A CDN or browser that honours Vary therefore never
 * hands the page's HTML to an RSC request, nor gzip to a client without it.
 */
export const SHARED_VARY = [...RSC_HEADERS, "Accept", "Accept-Encoding"].join(", ");

/**
 * Cache-Control and Vary of an answer from the cache. On a route with
 * `personalCookies` the same URL also has personal answers, so no shared
 * cache may keep it (`private, no-cache`: browsers revalidate with its ETag).
 */
export function cacheHeaders(
  headers: Headers,
  cc: CacheControl | undefined,
  personal: boolean,
  life: { age: number; stale: boolean; tags: readonly string[] } = { age: 0, stale: false, tags: [] },
): void {
  // The page's tags (explicit and implicit), so a CDN's copy is purged with the entry (`edge-isr purge --cdn-zone`, ctx.cache.purge).
  const cacheTag = personal ? undefined : cacheTagHeader(life.tags);
  // Tags too many to name: no shared cache keeps a copy a purge could miss.
  const unshared = personal || (life.tags.length > 0 && cacheTag === undefined);
  headers.set("cache-control", unshared ? "private, no-cache" : cdnCacheControl(cc, life.age, life.stale));
  headers.set("vary", personal ? `${SHARED_VARY}, Cookie` : SHARED_VARY);
  if (cacheTag) headers.set("cache-tag", cacheTag);
}

export const acceptsGzip = (request: Request) => /\bgzip\b/i.test(request.headers.get("accept-encoding") ?? "");

/** Whether `If-None-Match` names this ETag (weak comparison, RFC 9110 §13.1.2). */
export function etagMatches(request: Request, etag: string): boolean {
  const header = request.headers.get("if-none-match");
  if (!header) return false;
  if (header.trim() === "*") return true;
  const bare = etag.replace(/^W\//, "");
  return header.split(",").some((candidate) => candidate.trim().replace(/^W\//, "") === bare);
}

export function stateHeaders(headers: Headers, state: CacheState, timing: string): void {
  headers.set("x-edge-isr-cache", state);
  headers.set("x-nextjs-cache", state);
  headers.set("server-timing", timing);
}

/**
 * Headers of an answer rendered for one client: BYPASS, why, and — on a
 * route's URL, which also has shared answers — a Cache-Control no shared cache keeps.
 */
export function bypassHeaders(headers: Headers, why: string, timing: string, onRoute: boolean): void {
  stateHeaders(headers, "BYPASS", timing);
  headers.set("x-edge-isr-bypass", why);
  if (onRoute) keepPrivate(headers);
}

/** A route with personal cookies shares its URL with personal answers: no shared cache may keep any. */
export const isPersonal = (route: { personalCookies?: readonly string[] }) => Boolean(route.personalCookies?.length);

/** How to answer with a cached page: its state, the time, the Server-Timing value, and whether the route is personal. */
export interface ServeAs {
  state: CacheState;
  now: number;
  timing: string;
  personal: boolean;
}

/** The response for `page` as `as.state`. */
export function servePage(page: CachedPage, request: Request, as: ServeAs): Response {
  const { state, now, timing } = as;
  const headers = new Headers();
  for (const [name, value] of Object.entries(page.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  headers.set("etag", page.meta.etag);
  const age = Math.max(0, Math.floor((now - page.meta.generatedAt) / 1000));
  headers.set("age", String(age));
  cacheHeaders(headers, page.cacheControl, as.personal, { age, stale: state === "STALE", tags: page.tags });
  headers.set("x-edge-isr-generated-at", new Date(page.meta.generatedAt).toISOString());
  stateHeaders(headers, state, timing);
  if (etagMatches(request, page.meta.etag)) return new Response(null, { status: 304, headers });
  if (request.method === "HEAD") return new Response(null, { status: page.status, headers });
  if (page.status === 204 || page.status === 304) return new Response(null, { status: page.status, headers });
  const { body, gzip } = page.body(acceptsGzip(request));
  if (gzip) {
    headers.set("content-encoding", "gzip");
    // The bytes are gzip as stored: tell workerd not to encode them again.
    return new Response(body, { status: page.status, headers, encodeBody: "manual" } as ResponseInit);
  }
  return new Response(body, { status: page.status, headers });
}

/** The serve step: answers `request` with the stored `page` of `m` (HIT, STALE, or a shared render's copy). */
export function serveCached<Env>(
  p: Pipeline<Env>,
  page: CachedPage,
  request: Request,
  m: Matched<Env>,
  state: CacheState,
  timing: Timing,
): Response {
  return servePage(page, request, { state, now: p.now(), timing: timing.header(state), personal: isPersonal(m.route) });
}
