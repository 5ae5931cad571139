import { RenderStamp } from "../../render-stamp";
import { getPost, SLUGS } from "../data";

/** Fresh for an hour, then served stale while it regenerates; revalidateTag/Path/updateTag refresh it sooner. */
export const revalidate = 3600;

export function generateStaticParams() {
  return SLUGS.map((slug) => ({ slug }));
}

export default async function Post({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const post = await getPost(slug);
  return (
    <article>
      <h1>{post.title}</h1>
      <p>
        data fetched <span data-fetch={post.fetch}>{post.fetchedAt}</span>
      </p>
      <RenderStamp id={`post-${slug}`} />
    </article>
  );
}
