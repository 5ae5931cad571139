import { unstable_cache } from "next/cache";

export const SLUGS = ["hello", "world"] as const;

/** The posts' "database" read, cached in the data cache with the post's tags. */
export function getPost(slug: string) {
  return unstable_cache(
    async () => ({ slug, title: slug[0]!.toUpperCase() + slug.slice(1), fetchedAt: new Date().toISOString(), fetch: crypto.randomUUID() }),
    ["post", slug],
    { tags: ["posts", `post:${slug}`], revalidate: 3600 },
  )();
}
