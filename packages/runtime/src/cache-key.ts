/**
 * Cache keys come from the request URL only through a normalized path and an
 * explicit query allow-list, so query strings, `Host`/`X-Forwarded-Host` and
 * other headers can neither poison an entry nor multiply entries.
 */

import { RuntimeLimits } from "./limits.js";

/** Longest path accepted for caching; longer requests bypass the cache. */
export const MAX_PATH_LENGTH = RuntimeLimits.maxPathLength;

/**
 * `/a//b/./c/../d/` → `/a/b/d`. The URL parser has already resolved dot
 * segments; this collapses repeated slashes, drops a trailing slash and
 * normalizes percent-encoding, so equivalent spellings share one entry.
 * Returns `undefined` for paths that must not be cached (NUL, malformed escapes, too long).
 */
export function normalizePath(pathname: string): string | undefined {
  if (pathname.length > MAX_PATH_LENGTH) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0")) return undefined;
  const segments = decoded.split("/").filter((s) => s !== "" && s !== ".");
  const out: string[] = [];
  for (const segment of segments) {
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return `/${out.map(encodeSegment).join("/")}`;
}

/** Characters a URL path keeps as they are (RFC 3986 sub-delims, ":", "@", and the "[ ]" of route patterns). */
const KEPT = /%(5B|5D|40|3A|24|26|2B|2C|3B|3D)/g;
/** Percent-encodes one path segment, leaving the characters browsers leave, so one spelling stays one key. */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(KEPT, (encoded) => decodeURIComponent(encoded));
}

/** The allowed query parameters, sorted, as `?a=1&b=2` (empty when none). */
export function allowedQuery(search: URLSearchParams, allow: readonly string[] | undefined): string {
  if (!allow?.length) return "";
  const kept = new URLSearchParams();
  for (const name of [...allow].sort()) {
    const values = search.getAll(name).sort();
    for (const value of values) kept.append(name, value);
  }
  const text = kept.toString();
  return text ? `?${text}` : "";
}

/** The key an ISR page is stored under: `<buildId>:<path><allowed query>`. */
export function pageKey(buildId: string, path: string, query: string): string {
  return `${buildId}:${path}${query}`;
}
