/** Turns a rendered response into the value the cache handler stores. */
import type { IncrementalCacheValue } from "@edge-isr/kv-cache-handler";
import type { PageMeta } from "./page.js";

/** Headers never stored: per-response, hop-by-hop, or set by the runtime on every answer. */
const DROPPED = new Set([
  "age", "cache-control", "connection", "content-encoding", "content-length", "date", "etag", "keep-alive",
  "server-timing", "set-cookie", "transfer-encoding", "vary", "x-edge-isr-cache", "x-nextjs-cache", "x-edge-isr-generated-at",
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
