import { formatPrice, type Product } from "../db";

/** `/`: prerendered at build, tags `catalogue` and `products`. */
export function Catalogue({ products }: { products: Product[] }) {
  return (
    <>
      <h1>Catalogue</h1>
      <p className="lead">
        Every page here was rendered at build time by <code>edge-isr prerender</code> and is served from Workers KV. Watch the badge: reload
        within the window for a <b>HIT</b>; reload after it for a <b>STALE</b> copy served at once while a new one renders.
      </p>
      <ul className="grid">
        {products.map((p) => (
          <li key={p.id}>
            <a href={`/products/${p.id}`} data-testid={`product-link-${p.id}`}>
              <strong>{p.name}</strong>
              <span>{formatPrice(p.price)}</span>
            </a>
          </li>
        ))}
      </ul>
    </>
  );
}
