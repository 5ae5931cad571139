/** Builds the response for a cached page: headers users know, ETag/304, HEAD, gzip as stored. */
import type { CacheControl } from "@edge-isr/kv-cache-handler";
import type { CachedPage } from "./page.js";

export type CacheState = "HIT" | "STALE" | "MISS" | "REVALIDATED" | "BYPASS";

/** Next's default `expire` (one year) when an entry has none. */
const DEFAULT_EXPIRE = 31_536_000;

/** `Cache-Control` for CDNs: fresh for `revalidate`, then stale-while-revalidate until `expire`. */
export function cdnCacheControl(cc: CacheControl | undefined): string {
  const revalidate = cc?.revalidate === false || cc?.revalidate === undefined ? DEFAULT_EXPIRE : cc.revalidate;
  const expire = cc?.expire ?? DEFAULT_EXPIRE;
  return expire > revalidate ? `s-maxage=${revalidate}, stale-while-revalidate=${expire - revalidate}` : `s-maxage=${revalidate}`;
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

/** The response for `page` as `state`. */
export function servePage(page: CachedPage, request: Request, state: CacheState, now: number, timing: string): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(page.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  headers.set("etag", page.meta.etag);
  headers.set("age", String(Math.max(0, Math.floor((now - page.meta.generatedAt) / 1000))));
  headers.set("cache-control", cdnCacheControl(page.cacheControl));
  headers.set("x-edge-isr-generated-at", new Date(page.meta.generatedAt).toISOString());
  headers.set("vary", "Accept-Encoding");
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
