/**
 * A client-only control: the quantity lives in the browser, so the cached HTML
 * is the same for everyone. Clicking it proves the page hydrated.
 */
import { useState } from "react";
import { formatPrice } from "../db";

export function Basket({ price }: { price: number }) {
  const [quantity, setQuantity] = useState(0);
  return (
    <div className="basket">
      <button type="button" onClick={() => setQuantity((q) => Math.max(0, q - 1))} aria-label="one fewer" disabled={quantity === 0}>
        −
      </button>
      <output data-testid="quantity" aria-label="quantity">
        {quantity}
      </output>
      <button type="button" onClick={() => setQuantity((q) => q + 1)} aria-label="one more" data-testid="add">
        +
      </button>
      <span data-testid="basket-total">{quantity ? `${formatPrice(quantity * price)} in your basket` : "your basket is empty"}</span>
    </div>
  );
}
