/**
 * Tags: validation against Next.js's limits, the short hashes stored in KV
 * metadata (and keyed on by the tag clock), and Next-style implicit path tags.
 */
import { base64UrlPrefix, sha256 } from "./bytes.js";
import { HandlerLimits } from "./limits.js";

/** Prefix of Next.js's implicit path tags (`NEXT_CACHE_IMPLICIT_TAG_ID`). */
export const IMPLICIT_TAG_PREFIX = "_N_T_";

export interface DroppedTag {
  tag: string;
  reason: string;
}

/** Keeps valid, unique tags in order; says which were dropped and why. */
export function validateTags(input: readonly unknown[]): { tags: string[]; dropped: DroppedTag[] } {
  const tags: string[] = [];
  const dropped: DroppedTag[] = [];
  const seen = new Set<string>();
  for (const tag of input) {
    if (typeof tag !== "string" || tag.length === 0) {
      dropped.push({ tag: String(tag), reason: "a tag must be a non-empty string" });
    } else if (tag.length > HandlerLimits.maxTagLength) {
      dropped.push({ tag, reason: `${tag.length} characters, over the limit of ${HandlerLimits.maxTagLength}` });
    } else if (!seen.has(tag)) {
      if (tags.length === HandlerLimits.maxTagsPerEntry) {
        dropped.push({ tag, reason: `more than ${HandlerLimits.maxTagsPerEntry} tags on one entry` });
        continue;
      }
      seen.add(tag);
      tags.push(tag);
    }
  }
  return { tags, dropped };
}

const hashCache = new Map<string, string>();
/** Dropped tags for a log line: a short, escaped prefix of each (tags can come from clients), and why. */
export function describeDropped(dropped: readonly DroppedTag[]): string {
  const shown = dropped.slice(0, 5).map((d) => `${JSON.stringify(d.tag.slice(0, 40))}${d.tag.length > 40 ? "…" : ""} (${d.reason})`);
  return shown.join(", ") + (dropped.length > 5 ? ` and ${dropped.length - 5} more` : "");
}

/** A tag's short hash: the first 6 base64url characters (36 bits) of its SHA-256. */
export async function tagHash(tag: string): Promise<string> {
  let hash = hashCache.get(tag);
  if (hash === undefined) {
    hash = base64UrlPrefix(await sha256(tag), HandlerLimits.tagHashChars);
    if (hashCache.size >= 4096) hashCache.clear(); // bounded; recomputing is cheap
    hashCache.set(tag, hash);
  }
  return hash;
}

/** The concatenated short hashes stored in an entry's metadata. */
export async function tagHashes(tags: readonly string[]): Promise<string> {
  return (await Promise.all(tags.map(tagHash))).join("");
}

/** Splits the metadata string back into hashes. */
export function splitHashes(joined: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < joined.length; i += HandlerLimits.tagHashChars) out.push(joined.slice(i, i + HandlerLimits.tagHashChars));
  return out;
}

/**
 * Next.js's implicit tags for a page: one `layout` tag per ancestor segment of
 * its route, its `page` tag, and its concrete pathname. `revalidatePath(p)`
 * revalidates `_N_T_<p>`, `revalidatePath(p, "layout")` `_N_T_<p>/layout`,
 * which every page below `p` carries.
 *
 * @example implicitTags("/blog/a") // _N_T_/layout, _N_T_/blog/layout, _N_T_/blog/a/layout, _N_T_/blog/a/page, _N_T_/blog/a
 * @example implicitTags("/blog/a", "/blog/[slug]") // … _N_T_/blog/[slug]/layout, _N_T_/blog/[slug]/page, _N_T_/blog/a
 */
export function implicitTags(pathname: string, route: string = pathname): string[] {
  const segments = route.split("/").filter(Boolean);
  const tags = [`${IMPLICIT_TAG_PREFIX}/layout`];
  for (let i = 1; i <= segments.length; i++) tags.push(`${IMPLICIT_TAG_PREFIX}/${segments.slice(0, i).join("/")}/layout`);
  tags.push(`${IMPLICIT_TAG_PREFIX}${segments.length ? `/${segments.join("/")}` : ""}/page`);
  const concrete = `${IMPLICIT_TAG_PREFIX}/${pathname.split("/").filter(Boolean).join("/")}`;
  if (!tags.includes(concrete)) tags.push(concrete);
  return tags;
}
