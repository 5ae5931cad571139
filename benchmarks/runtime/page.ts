/**
 * The heavy page: a product catalogue rendered by React 19 (`react-dom/server`'s
 * `renderToReadableStream`), about 2,000 elements — a header and navigation,
 * 100 product cards of ~20 elements each with varied text and attributes, and a
 * footer. The data comes from a seeded PRNG, built once per isolate (as if
 * fetched), so every render produces the same bytes.
 */
import { prng } from "../shared/prng.js";
import { createElement as h, type ReactNode } from "react";
import { renderToReadableStream } from "react-dom/server";

export const PRODUCTS = 100;

const WORDS = (
  "alpine amber anchor arctic aspen atlas aurora autumn basalt bay beacon birch blaze bloom bluff bolt boulder breeze " +
  "bright brook cabin canyon carbon cascade cedar chalk charcoal cinder cliff cloud coast cobalt comet copper coral cove " +
  "crest crimson crystal current cypress dawn delta desert drift dune dusk echo ember falcon fern field fjord flint " +
  "forest frost galaxy garnet glacier glade granite grove harbor hazel heath horizon indigo iris island ivory jade " +
  "juniper lagoon lake lantern larch lava ledge linen lotus lunar maple marble marsh meadow mesa midnight mint mist " +
  "moss mountain nectar nimbus north oak ocean olive onyx orchid pebble pine plateau polar prairie quartz rain raven " +
  "reef ridge river rose ruby rust saffron sage sand sapphire shadow shale sierra silver slate snow solar spruce " +
  "stone storm summit sun tide timber topaz trail tundra valley velvet vista walnut wave willow wind winter zephyr"
).split(" ");
const KINDS = ["Runner", "Trail Shoe", "Backpack", "Jacket", "Tent", "Lantern", "Bottle", "Fleece", "Glove", "Beanie", "Duffel", "Sandal"];
const BRANDS = ["Northwind", "Basecamp", "Ridgeline", "Tidewater", "Summitry", "Fernhill", "Lowland Co.", "Outpost"];
const BADGES = ["New", "Bestseller", "Eco", "Limited", "Waterproof", "Vegan", "Recycled", "Lightweight", "Sale"];
const CATEGORIES = ["Footwear", "Packs", "Outerwear", "Camping", "Lighting", "Hydration", "Accessories", "Kids", "Sale"];

export interface Product {
  id: number;
  sku: string;
  name: string;
  brand: string;
  description: string;
  badges: string[];
  price: number;
  was: number | null;
  rating: number;
  reviews: number;
  stock: number;
  colour: string;
}

export function catalogue(seed = 20260401): Product[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(" ");
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  return Array.from({ length: PRODUCTS }, (_, i) => {
    const price = Math.round((9 + rand() * 291) * 100) / 100;
    const onSale = rand() < 0.3;
    const badges = new Set<string>();
    const nBadges = 2 + Math.floor(rand() * 2); // 2 or 3
    while (badges.size < nBadges) badges.add(pick(BADGES));
    return {
      id: 1000 + i,
      sku: `SKU-${(rand() * 1e8).toFixed(0).padStart(8, "0")}`,
      name: `${cap(pick(WORDS))} ${cap(pick(WORDS))} ${pick(KINDS)}`,
      brand: pick(BRANDS),
      description: `${cap(words(8 + Math.floor(rand() * 14)))}.`,
      badges: [...badges],
      price,
      was: onSale ? Math.round(price * (1.1 + rand() * 0.5) * 100) / 100 : null,
      rating: Math.round((2.5 + rand() * 2.5) * 10) / 10,
      reviews: Math.floor(rand() * 4000),
      stock: Math.floor(rand() * 60),
      colour: `#${Math.floor(rand() * 0xffffff)
        .toString(16)
        .padStart(6, "0")}`,
    };
  });
}

const money = (n: number) => `$${n.toFixed(2)}`;
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-");

/** One card: 20 elements (21 with a "was" price, 21 with 3 badges). */
function Card({ p }: { p: Product }): ReactNode {
  const href = `/products/${p.id}-${slug(p.name)}`;
  return h(
    "article",
    { className: `card${p.was ? " card--sale" : ""}`, "data-id": p.id, "data-sku": p.sku, style: { borderColor: p.colour } },
    h(
      "a",
      { href, className: "card__media", "aria-label": p.name },
      h("img", { src: `https://img.example.com/${p.sku}.webp`, alt: p.name, width: 320, height: 240, loading: "lazy" }),
    ),
    h(
      "div",
      { className: "card__body" },
      h("h2", { className: "card__title" }, h("a", { href }, p.name)),
      h("p", { className: "card__brand" }, p.brand),
      h("p", { className: "card__desc" }, p.description),
      h("ul", { className: "card__badges" }, ...p.badges.map((b) => h("li", { key: b, className: `badge badge--${slug(b)}` }, b))),
      h(
        "div",
        { className: "card__price" },
        h("span", { className: "price__now" }, money(p.price)),
        p.was ? h("s", { className: "price__was" }, money(p.was)) : null,
      ),
      h(
        "div",
        { className: "card__rating", title: `${p.rating} out of 5` },
        h("span", { className: "stars", style: { width: `${p.rating * 20}%` } }, "★★★★★"),
        h("span", { className: "count" }, `(${p.reviews})`),
      ),
      h(
        "form",
        { method: "post", action: "/cart" },
        h("input", { type: "hidden", name: "sku", value: p.sku }),
        h(
          "button",
          { type: "submit", disabled: p.stock === 0 },
          p.stock === 0 ? "Sold out" : p.stock < 5 ? `Only ${p.stock} left` : "Add to cart",
        ),
      ),
    ),
  );
}

function Page({ products }: { products: Product[] }): ReactNode {
  return h(
    "html",
    { lang: "en" },
    h(
      "head",
      null,
      h("meta", { charSet: "utf-8" }),
      h("meta", { name: "viewport", content: "width=device-width, initial-scale=1" }),
      h("title", null, "Catalogue — edge-isr benchmark"),
      h("link", { rel: "stylesheet", href: "/styles.css" }),
    ),
    h(
      "body",
      null,
      h(
        "header",
        { className: "site-header" },
        h("a", { href: "/", className: "logo" }, "Outpost Supply"),
        h("nav", null, h("ul", null, ...CATEGORIES.map((c) => h("li", { key: c }, h("a", { href: `/c/${slug(c)}` }, c))))),
      ),
      h(
        "main",
        null,
        h("h1", null, `All products (${products.length})`),
        h("section", { className: "grid" }, ...products.map((p) => h(Card, { key: p.id, p }))),
      ),
      h("footer", null, h("p", null, "© Outpost Supply — a benchmark page, not a shop.")),
    ),
  );
}

let data: Product[] | undefined;

/** Renders the page to a stream of HTML (the same bytes every time). */
export async function renderCatalogue(): Promise<Response> {
  data ??= catalogue();
  const stream = await renderToReadableStream(h(Page, { products: data }));
  return new Response(stream, { headers: { "content-type": "text/html; charset=utf-8" } });
}
