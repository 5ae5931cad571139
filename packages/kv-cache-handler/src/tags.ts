/**
 * Tags: validation against Next.js's limits, the short hashes stored in KV
 * metadata (and keyed on by the tag clock), and Next-style implicit path tags.
 */
import { base64UrlPrefix, sha256, sha256Sync, toHex } from "./bytes.js";
import { HandlerLimits } from "./limits.js";

/** Prefix of Next.js's implicit path tags (`NEXT_CACHE_IMPLICIT_TAG_ID`). */
export const IMPLICIT_TAG_PREFIX = "_N_T_";

export interface DroppedTag {
  tag: string;
  reason: string;
}

/**
 * Keeps valid, unique tags in order; says which were dropped and why. A long
 * implicit path tag (as Next.js or vinext spell it) is kept under its hashed
 * name, so it still meets the same path's `revalidatePath`.
 */
export function validateTags(
  input: readonly unknown[],
  maxCount: number = HandlerLimits.maxTagsPerEntry,
): { tags: string[]; dropped: DroppedTag[] } {
  const tags: string[] = [];
  const dropped: DroppedTag[] = [];
  const seen = new Set<string>();
  for (const raw of input) {
    if (typeof raw !== "string" || raw.length === 0) {
      dropped.push({ tag: String(raw), reason: "a tag must be a non-empty string" });
      continue;
    }
    const limit = raw.startsWith(IMPLICIT_TAG_PREFIX) ? HandlerLimits.maxImplicitTagLength : HandlerLimits.maxTagLength;
    if (raw.length > limit) {
      dropped.push({ tag: raw, reason: `${raw.length} characters, over the limit of ${limit}` });
      continue;
    }
    const tag = canonicalTag(raw);
    if (seen.has(tag)) continue;
    if (tags.length === maxCount) {
      dropped.push({ tag, reason: `more than ${maxCount} tags on one entry` });
      continue;
    }
    seen.add(tag);
    tags.push(tag);
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
 * The implicit tag of a path (`/blog/a`, `/blog/layout`): `_N_T_<path>`, or,
 * when that is over Next's 256 characters, `_N_T_#<SHA-256 of the path>` —
 * hashed as long keys are, so a page of any cacheable length keeps a tag that
 * `revalidatePath` can name. The one spelling both sides use: `implicitTags`
 * when an entry is tagged, `pathTag` (in `@edge-isr/runtime`) when it is revalidated.
 */
export function implicitTag(path: string): string {
  const tag = IMPLICIT_TAG_PREFIX + path;
  return tag.length <= HandlerLimits.maxTagLength ? tag : `${IMPLICIT_TAG_PREFIX}#${toHex(sha256Sync(path))}`;
}

/** A tag as stored: over-long implicit tags under their hashed name, every other tag as given. */
const canonicalTag = (tag: string) => (tag.length > HandlerLimits.maxTagLength ? implicitTag(tag.slice(IMPLICIT_TAG_PREFIX.length)) : tag);

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
  const tags = [implicitTag("/layout")];
  for (let i = 1; i <= segments.length; i++) tags.push(implicitTag(`/${segments.slice(0, i).join("/")}/layout`));
  tags.push(implicitTag(`${segments.length ? `/${segments.join("/")}` : ""}/page`));
  const concrete = implicitTag(`/${pathname.split("/").filter(Boolean).join("/")}`);
  if (!tags.includes(concrete)) tags.push(concrete);
  return tags;
}
