/**
 * The notices an admin page shows after a redirect. Only these, worded here:
 * the query names one (`?notice=saved&id=2`) and may add values that are
 * checked against what they can be (a product id of the catalogue, a tag the
 * demo uses, a count) — so no link can make the page say anything else.
 */
import { productIds } from "../db";
import type { Flash } from "../types";

/** The tags the demo's pages carry (and the purge buttons offer), plus the implicit tag of every page. */
export const demoTags = (): string[] => ["catalogue", "products", ...productIds().map((id) => `product:${id}`), "_N_T_/layout"];

const known = (value: string | null, allowed: string[]) => (value !== null && allowed.includes(value) ? value : undefined);

const NOTICES = {
  "signed-in": () => "Signed in for an hour.",
  "signed-out": () => "Signed out.",
  saved: (q) => {
    const id = known(q.get("id"), productIds());
    return id && `saved product ${id}; its pages are expired (the next view renders)`;
  },
  "saved-stale": (q) => {
    const id = known(q.get("id"), productIds());
    return id && `saved product ${id}; its pages are stale (served once more, then regenerated)`;
  },
  purged: (q) => {
    const tag = known(q.get("tag"), demoTags());
    const via = known(q.get("via"), ["coordinator", "kv"]);
    return (
      tag &&
      via &&
      `purged ${tag}: every entry carrying it expired, through ${via === "coordinator" ? "the coordinator" : "the tag records in KV"}`
    );
  },
} satisfies Record<string, (query: URLSearchParams) => string | undefined>;

/** The notice a redirect's query names, if it is one of ours with values that check out. */
export function noticeFrom(query: URLSearchParams): Flash | undefined {
  const code = query.get("notice");
  const text = code !== null && Object.hasOwn(NOTICES, code) ? NOTICES[code as keyof typeof NOTICES](query) : undefined;
  return text ? { kind: "ok", text } : undefined;
}

/** The URL of `page` showing notice `code`. */
export const withNotice = (page: string, code: keyof typeof NOTICES, values: Record<string, string> = {}) =>
  `${page}?${new URLSearchParams({ notice: code, ...values })}`;
