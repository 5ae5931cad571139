/**
 * Which cookies make a request personal. By default none do: a page's render
 * never sees the request's cookies, so no cookie can change a shared page, and
 * Cloudflare's own (`__cf_bm`, `cf_clearance`) or an analytics cookie (`_ga`)
 * must not cost a visitor the cache. A route that renders per user names the
 * cookies that say so — `personalCookies: ["session"]`, or a prefix such as
 * `"sb-*"` — and requests carrying one are rendered for their client alone.
 * Infrastructure and analytics cookies never count, even when a prefix matches them.
 */
import { quoteKey } from "@edge-isr/kv-cache-handler";
import { EdgeIsrRuntimeError } from "./errors.js";

/** Cookies set by Cloudflare and by analytics and advertising tools, by exact name. They never make a request personal. */
export const INFRASTRUCTURE_COOKIES: readonly string[] = [
  // Cloudflare: bot management, challenges, load balancing, waiting room, rate limiting
  "__cf_bm",
  "cf_clearance",
  "__cflb",
  "_cfuvid",
  "__cfruid",
  "__cfwaitingroom",
  "cf_ob_info",
  "cf_use_ob",
  "__cfseq",
  // Google Analytics and Ads, Meta, Microsoft Clarity and Ads, TikTok, Pinterest, HubSpot, Stripe's fraud signals
  "_ga",
  "_gid",
  "_gat",
  "_fbp",
  "_fbc",
  "_clck",
  "_clsk",
  "_uetsid",
  "_uetvid",
  "MUID",
  "_ttp",
  "_pin_unauth",
  "hubspotutk",
  "__hstc",
  "__hssc",
  "__hssrc",
  "__stripe_mid",
  "__stripe_sid",
];

/** Prefixes of such cookies, whose names carry an id (`_ga_<property>`, `_hjSession_<site>`, `ajs_anonymous_id`, `mp_<token>_mixpanel`). */
export const INFRASTRUCTURE_COOKIE_PREFIXES: readonly string[] = [
  "cf_chl_",
  "__cfseq-",
  "_ga_",
  "_gat_",
  "_gcl_",
  "_gac_",
  "__utm",
  "_dc_gtm_",
  "_hj",
  "ajs_",
  "mp_",
  "amplitude_id",
  "AMP_",
  "_pk_",
  "_vwo_",
  "optimizely",
];

const infrastructure = new Set(INFRASTRUCTURE_COOKIES);

/** Whether a cookie is one of Cloudflare's or an analytics tool's: it never makes a request personal. */
export function isInfrastructureCookie(name: string): boolean {
  return infrastructure.has(name) || INFRASTRUCTURE_COOKIE_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * The names in a `Cookie` header. Split on `;` and on `,` (several Cookie
 * headers arrive joined by commas): a comma inside a value can only add a
 * name, which can only make a request bypass, never share a personal page.
 */
export function cookieNames(header: string): string[] {
  return header
    .split(/[;,]/)
    .map((part) => part.split("=")[0]!.trim())
    .filter(Boolean);
}

const matches = (name: string, rule: string) => (rule.endsWith("*") ? name.startsWith(rule.slice(0, -1)) : name === rule);

/** The first cookie of `header` that the rules make personal (infrastructure cookies never are); `undefined` when none. */
export function personalCookie(header: string | null, rules: readonly string[] | undefined): string | undefined {
  if (!header || !rules?.length) return undefined;
  return cookieNames(header).find((name) => !isInfrastructureCookie(name) && rules.some((rule) => matches(name, rule)));
}

/** RFC 6265 cookie-name characters (a token), with `*` allowed last as a prefix rule. */
const RULE = /^[!#$%&'+\-.^_`|~0-9A-Za-z]+\*?$|^\*$/;

/** Checks a route's `personalCookies` (and refuses the removed `ignoreCookies`) when the pipeline is built. */
export function checkCookieOptions(route: { path: string; personalCookies?: readonly string[]; ignoreCookies?: unknown }): void {
  const where = `route ${quoteKey(route.path)}`;
  if (route.ignoreCookies !== undefined) {
    throw new EdgeIsrRuntimeError(
      "ERR_OPTION_INVALID",
      `${where}: ignoreCookies was removed. No cookie bypasses the cache now unless the route names it: list the cookies that make a page personal instead, e.g. personalCookies: ["session"] (["*"]: any cookie but infrastructure and analytics ones)`,
    );
  }
  if (route.personalCookies === undefined) return;
  if (!Array.isArray(route.personalCookies))
    throw new EdgeIsrRuntimeError("ERR_OPTION_INVALID", `${where}: personalCookies must be an array of cookie names, e.g. ["session"]`);
  for (const rule of route.personalCookies) {
    if (typeof rule !== "string" || !RULE.test(rule)) {
      throw new EdgeIsrRuntimeError(
        "ERR_OPTION_INVALID",
        `${where}: personalCookies entry ${typeof rule === "string" ? quoteKey(rule) : String(rule)} is not a cookie name or a prefix ending in "*"`,
      );
    }
    if (!rule.endsWith("*") && isInfrastructureCookie(rule)) {
      throw new EdgeIsrRuntimeError(
        "ERR_OPTION_INVALID",
        `${where}: personalCookies names ${quoteKey(rule)}, an infrastructure or analytics cookie, which never makes a page personal`,
      );
    }
  }
}
