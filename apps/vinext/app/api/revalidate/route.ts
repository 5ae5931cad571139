/**
 * On-demand revalidation, as a CMS webhook would call it:
 *   POST /api/revalidate?tag=post:hello                 revalidateTag(tag)             → expired at once
 *   POST /api/revalidate?tag=post:hello&profile=max     revalidateTag(tag, "max")      → stale while revalidating
 *   POST /api/revalidate?tag=post:hello&expire=30       revalidateTag(tag, { expire }) → stale now, expired in 30 s
 *   POST /api/revalidate?path=/posts/hello[&type=page]  revalidatePath(path, type)     → expired at once
 */
import { revalidatePath, revalidateTag } from "next/cache";

export async function POST(request: Request) {
  const url = new URL(request.url);
  const tag = url.searchParams.get("tag");
  const path = url.searchParams.get("path");
  if (tag) {
    const profile = url.searchParams.get("profile");
    const expire = url.searchParams.get("expire");
    if (profile) revalidateTag(tag, profile);
    else if (expire !== null) revalidateTag(tag, { expire: Number(expire) });
    // @ts-expect-error Next 16 types deprecate the one-argument form; it still works, and expires the tag at once.
    else revalidateTag(tag);
    return Response.json({ revalidated: { tag, profile, expire } });
  }
  if (path) {
    const type = url.searchParams.get("type");
    if (type === "page" || type === "layout") revalidatePath(path, type);
    else revalidatePath(path);
    return Response.json({ revalidated: { path, type } });
  }
  return Response.json({ error: "pass ?tag= or ?path=" }, { status: 400 });
}
