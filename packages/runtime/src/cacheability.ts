/**
 * What is never cached. A request or response that fails these checks is
 * rendered for its own client only and answered with `x-edge-isr-cache: BYPASS`
 * and a Cache-Control no shared cache may keep.
 */
import { personalCookie } from "./cookies.js";

/**
 * Statuses whose responses are stored (like a CDN's defaults for heuristic
 * caching, RFC 9110 §15.1): anything else — 5xx above all — is never cached.
 */
export const CACHEABLE_STATUS: readonly number[] = [200, 203, 204, 300, 301, 308, 404, 410];

/** Headers Next.js's router sends when it fetches an RSC payload instead of HTML. */
export const RSC_HEADERS = ["RSC", "Next-Router-State-Tree", "Next-Router-Prefetch", "Next-Router-Segment-Prefetch"] as const;

export interface RequestPolicy {
  /** Cookies that make a request personal (`"session"`, or a prefix `"sb-*"`). Default: none. See cookies.ts. */
  personalCookies?: readonly string[];
}

/** Why a request must not be served from or stored in the cache; `undefined` when it may. */
export function requestBypassReason(request: Request, policy: RequestPolicy): string | undefined {
  if (request.method !== "GET" && request.method !== "HEAD") return `method ${request.method}`;
  if (request.headers.has("authorization")) return "Authorization header";
  // A React Server Components request wants a different payload than the page's
  // HTML: rendered for its client alone, never stored under the page's key.
  const rsc = RSC_HEADERS.find((name) => request.headers.has(name));
  if (rsc) return `RSC request (${rsc})`;
  if (request.headers.get("accept")?.includes("text/x-component")) return "RSC request (Accept: text/x-component)";
  const cookie = personalCookie(request.headers.get("cookie"), policy.personalCookies);
  if (cookie) return `personal cookie ${cookie}`;
  return undefined;
}

const PRIVATE = /(^|[\s,])(private|no-store)(\s*[,=]|$)/;

/** Why a rendered response must not be stored; `undefined` when it may. */
export function responseBypassReason(response: Response, cacheableStatus: readonly number[]): string | undefined {
  if (!cacheableStatus.includes(response.status)) return `status ${response.status}`;
  if (response.headers.has("set-cookie")) return "Set-Cookie";
  const cc = response.headers.get("cache-control")?.toLowerCase() ?? "";
  if (PRIVATE.test(cc)) return `Cache-Control: ${cc}`;
  const vary = response.headers.get("vary");
  if (vary?.includes("*")) return "Vary: *";
  return undefined;
}

/**
 * Makes a response rendered for one client unfit for any shared cache: its own
 * Cache-Control when that already says `private` or `no-store`, else
 * `private, no-store`. A CDN in front can then never hand an RSC payload, a
 * personal page or an unstored 404 to another request.
 */
export function keepPrivate(headers: Headers): void {
  if (!PRIVATE.test(headers.get("cache-control")?.toLowerCase() ?? "")) headers.set("cache-control", "private, no-store");
}
