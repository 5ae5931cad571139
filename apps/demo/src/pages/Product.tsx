import { Basket } from "../components/Basket";
import { formatPrice, type Product } from "../db";

/** `/products/:id`: prerendered at build, tags `product:<id>` and `products`. */
export function ProductPage({ product }: { product: Product }) {
  return (
    <article className="product">
      <h1 data-testid="product-name">{product.name}</h1>
      <p className="price" data-testid="product-price">
        {formatPrice(product.price)}
      </p>
      <p>{product.blurb}</p>
      <Basket price={product.price} />
      <p className="meta">
        Tags <code>product:{product.id}</code> <code>products</code>. Change it in <a href="/admin">Admin</a>; the next view shows the edit.
      </p>
      <p>
        <a href={`/products/${product.id}/reviews`} data-testid="reviews-link">
          Reviews
        </a>{" "}
        — not prerendered: the first visit is a <b>MISS</b> (rendered and stored), the next a <b>HIT</b>.
      </p>
    </article>
  );
}
