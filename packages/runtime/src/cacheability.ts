/**
 * What is never cached. A request or response that fails these checks is
 * rendered for its own client only and answered with `x-edge-isr-cache: BYPASS`.
 */

/**
 * Statuses whose responses are stored (like a CDN's defaults for heuristic
 * caching, RFC 9110 §15.1): anything else — 5xx above all — is never cached.
 */
export const CACHEABLE_STATUS: readonly number[] = [200, 203, 204, 300, 301, 308, 404, 410];

/** Headers Next.js's router sends when it fetches an RSC payload instead of HTML. */
export const RSC_HEADERS = ["rsc", "next-router-state-tree", "next-router-prefetch", "next-router-segment-prefetch"] as const;

export interface RequestPolicy {
  /** Cookie names that do not change the page; `true`: no cookie does. Default: any cookie bypasses. */
  ignoreCookies?: readonly string[] | true;
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
  const cookie = request.headers.get("cookie");
  if (cookie && policy.ignoreCookies !== true) {
    const allowed = new Set(policy.ignoreCookies ?? []);
    const names = cookie.split(";").map((part) => part.split("=")[0]!.trim()).filter(Boolean);
    const relevant = names.filter((name) => !allowed.has(name));
    if (relevant.length) return `cookie ${relevant.join(", ")}`;
  }
  return undefined;
}

/** Why a rendered response must not be stored; `undefined` when it may. */
export function responseBypassReason(response: Response, cacheableStatus: readonly number[]): string | undefined {
  if (!cacheableStatus.includes(response.status)) return `status ${response.status}`;
  if (response.headers.has("set-cookie")) return "Set-Cookie";
  const cc = response.headers.get("cache-control")?.toLowerCase() ?? "";
  if (/(^|[\s,])(private|no-store)(\s*[,=]|$)/.test(cc)) return `Cache-Control: ${cc}`;
  const vary = response.headers.get("vary");
  if (vary?.includes("*")) return "Vary: *";
  return undefined;
}
