import type { Product } from "../db";
import type { Review } from "../types";

/** `/products/:id/reviews`: not prerendered — MISS on the first request, HIT after. */
export function Reviews({ product, reviews }: { product: Product; reviews: Review[] }) {
  return (
    <>
      <h1>Reviews of {product.name}</h1>
      <p className="lead">This page is not in the prerender manifest: its first request rendered it and stored it in KV.</p>
      <ul className="reviews">
        {reviews.map((r) => (
          <li key={r.author}>
            <span role="img" aria-label={`${r.stars} stars`}>
              {"★".repeat(r.stars)}
              {"☆".repeat(5 - r.stars)}
            </span>{" "}
            {r.text} — <i>{r.author}</i>
          </li>
        ))}
      </ul>
      <p>
        <a href={`/products/${product.id}`}>Back to {product.name}</a>
      </p>
    </>
  );
}
