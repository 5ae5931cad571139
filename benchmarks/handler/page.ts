/**
 * A deterministic "realistic page" for the handler benchmark: a product
 * catalogue rendered as ≈60 KB of HTML plus ≈40 KB of RSC payload in React
 * Flight line format, both built from the same seeded data. Varied classes,
 * attributes, prices, SKUs and descriptions drawn from a vocabulary of a few
 * hundred words, so it compresses like a real page (neither random bytes nor
 * one repeated string).
 */

import { prng } from "../shared/prng.js";

const ADJECTIVES = `lightweight durable breathable waterproof classic modern vintage slim relaxed tailored cushioned flexible
sturdy soft premium everyday versatile compact oversized cropped textured quilted insulated stretchy supportive
minimalist rugged elegant casual sporty cozy warm cool airy seamless padded reinforced recycled organic handmade
limited exclusive essential signature iconic bold subtle bright muted matte glossy brushed woven knitted structured
unstructured adjustable removable reversible packable washable quick-dry low-profile high-top mid-rise wide narrow
tapered straight curved rounded pointed square chunky sleek refined`.split(/\s+/);

const NOUNS = `sneaker boot sandal loafer trainer runner slipper oxford derby mule clog espadrille jacket parka coat vest
hoodie sweater cardigan shirt tee polo blouse dress skirt jeans chinos shorts trousers leggings backpack tote duffel
wallet belt scarf beanie cap glove sock watch bottle lamp chair table shelf rug cushion blanket mug kettle pan knife
board tent lantern helmet racket ball mat band headphones speaker charger cable case stand keyboard mouse monitor
notebook pen planner frame vase candle basket towel robe pillow`.split(/\s+/);

const MATERIALS = `leather suede canvas mesh nylon cotton linen wool cashmere denim fleece polyester rubber cork bamboo oak
walnut steel aluminium ceramic glass silicone merino hemp jersey twill corduroy velvet satin neoprene`.split(/\s+/);

const COLORS = `black white ivory cream sand beige khaki olive forest sage mint teal navy cobalt sky indigo plum burgundy
crimson coral rust orange mustard lemon charcoal slate graphite stone blush lilac`.split(/\s+/);

const BRANDS = `Northwind Acme Fabrikam Contoso Litware Tailspin Wingtip Adventure Alpine Summit Harbor Meridian Cascade
Evergreen Bluebird Ironwood Fieldhouse Copperline Lakeside Redwood Saltmarsh Oakridge Highline Driftwood Stonegate
Foxglove Bramble Juniper Sparrow Kestrel`.split(/\s+/);

const FILLER = `the a and with for of in on to from by your every all day long this that its our made designed built crafted
finished lined trimmed featuring offering keeping giving making comfort support grip fit feel style look finish detail
weather city trail office weekend travel gym home summer winter spring autumn rain snow wear use care easy simple
clean fresh new best more less extra great perfect ideal ready just right around through over under after before
while when where because so you it they them their is are was be has have can will stays goes works pairs lasts
step stride pace walk run hike commute layer pack carry store hold`.split(/\s+/);

const CATEGORIES = ["shoes", "outerwear", "tops", "bottoms", "bags", "accessories", "home", "outdoor", "tech", "stationery"];
const BADGES = ["New", "Bestseller", "Sale", "Eco", "Limited", "Online only", "Back in stock", "Staff pick"];
const UTILITIES = `flex grid block inline-flex items-center items-start justify-between justify-center gap-2 gap-4 p-2 p-4 px-3 py-2
mt-1 mt-2 mb-2 mb-4 rounded rounded-lg rounded-full border border-gray-200 shadow-sm shadow hover:shadow-md
text-sm text-xs text-base text-lg font-medium font-semibold font-bold text-gray-500 text-gray-700 text-gray-900
bg-white bg-gray-50 bg-gray-100 w-full h-full aspect-square object-cover overflow-hidden relative absolute top-2 left-2
transition duration-150 truncate line-clamp-2 line-clamp-3 uppercase tracking-wide`.split(/\s+/);

export interface Product {
  id: number;
  sku: string;
  slug: string;
  title: string;
  brand: string;
  category: string;
  color: string;
  material: string;
  description: string;
  price: number;
  oldPrice: number | undefined;
  rating: number;
  reviews: number;
  badges: string[];
  image: string;
  classes: string;
}

function makeProducts(rand: () => number, count: number): Product[] {
  // Zipf-like choice: frequent words are frequent, as in real copy.
  const zipf = <T>(list: readonly T[]): T => list[Math.floor(list.length * rand() ** 2.2)]!;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(list.length * rand())]!;
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join("");
  const sentence = () => {
    const words = [zipf(FILLER), zipf(ADJECTIVES), zipf(NOUNS)];
    const extra = 6 + Math.floor(rand() * 12);
    for (let i = 0; i < extra; i++) {
      const r = rand();
      words.push(
        r < 0.55 ? zipf(FILLER) : r < 0.75 ? zipf(ADJECTIVES) : r < 0.88 ? zipf(MATERIALS) : r < 0.95 ? zipf(NOUNS) : zipf(COLORS),
      );
    }
    const s = words.join(" ");
    return `${s[0]!.toUpperCase() + s.slice(1)}.`;
  };
  const products: Product[] = [];
  for (let id = 1; id <= count; id++) {
    const brand = zipf(BRANDS);
    const adjective = zipf(ADJECTIVES);
    const material = zipf(MATERIALS);
    const noun = zipf(NOUNS);
    const color = pick(COLORS);
    const title = `${brand} ${adjective[0]!.toUpperCase()}${adjective.slice(1)} ${material[0]!.toUpperCase()}${material.slice(1)} ${noun[0]!.toUpperCase()}${noun.slice(1)}`;
    const price = Math.round((9 + rand() * 240) * 100) / 100;
    const onSale = rand() < 0.3;
    const badges = BADGES.filter(() => rand() < 0.15);
    const classes = Array.from({ length: 3 + Math.floor(rand() * 4) }, () => pick(UTILITIES)).join(" ");
    products.push({
      id,
      sku: `${brand.slice(0, 3).toUpperCase()}-${String(1000 + Math.floor(rand() * 9000))}-${color.slice(0, 2).toUpperCase()}`,
      slug: `${adjective}-${material}-${noun}-${id}`,
      title,
      brand,
      category: pick(CATEGORIES),
      color,
      material,
      description: Array.from({ length: 2 + Math.floor(rand() * 3) }, sentence).join(" "),
      price,
      oldPrice: onSale ? Math.round(price * (1.15 + rand() * 0.4) * 100) / 100 : undefined,
      rating: Math.round((3 + rand() * 2) * 10) / 10,
      reviews: Math.floor(rand() ** 2 * 2400),
      badges,
      image: `https://cdn.example.com/img/${hex(12)}.jpg`,
      classes,
    });
  }
  return products;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const money = (n: number) => `$${n.toFixed(2)}`;

function productHtml(p: Product): string {
  const badges = p.badges.length
    ? `<ul class="badges flex gap-1 absolute top-2 left-2">${p.badges.map((b) => `<li class="badge badge-${b.toLowerCase().replace(/\s+/g, "-")} text-xs uppercase">${esc(b)}</li>`).join("")}</ul>`
    : "";
  const price = p.oldPrice
    ? `<span class="price price-sale font-semibold text-red-600">${money(p.price)}</span> <s class="price-old text-gray-500 text-sm">${money(p.oldPrice)}</s>`
    : `<span class="price font-semibold text-gray-900">${money(p.price)}</span>`;
  return (
    `<article class="product-card ${p.classes}" data-product-id="${p.id}" data-sku="${p.sku}" data-category="${p.category}">` +
    `<a href="/products/${p.slug}" class="product-link block relative overflow-hidden rounded-lg">` +
    `<img src="${p.image}?w=480&amp;q=75" srcset="${p.image}?w=240&amp;q=75 240w, ${p.image}?w=480&amp;q=75 480w" sizes="(max-width: 640px) 50vw, 25vw" alt="${esc(p.title)}" width="480" height="480" loading="lazy" decoding="async" class="aspect-square object-cover w-full"/>${badges}</a>` +
    `<div class="product-info p-3"><p class="brand text-xs uppercase tracking-wide text-gray-500">${esc(p.brand)}</p>` +
    `<h3 class="title text-sm font-medium line-clamp-2"><a href="/products/${p.slug}">${esc(p.title)}</a></h3>` +
    `<p class="description text-xs text-gray-700 line-clamp-3">${esc(p.description)}</p>` +
    `<div class="rating flex items-center gap-1" aria-label="Rated ${p.rating} out of 5"><span class="stars" style="--rating:${p.rating}"></span><span class="count text-xs text-gray-500">(${p.reviews})</span></div>` +
    `<div class="price-row flex items-center justify-between mt-2">${price}` +
    `<button type="button" class="add-to-cart btn btn-sm rounded-full" data-action="add-to-cart" data-product-id="${p.id}" aria-label="Add ${esc(p.title)} to cart">Add to cart</button></div>` +
    `<p class="meta text-xs text-gray-500">${esc(p.color)} · ${esc(p.material)}</p></div></article>\n`
  );
}

function pageHtml(products: Product[]): string {
  const nav = CATEGORIES.map(
    (c) => `<li><a href="/c/${c}" class="nav-link px-3 py-2 text-sm font-medium">${c[0]!.toUpperCase()}${c.slice(1)}</a></li>`,
  ).join("");
  const head =
    `<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>` +
    `<link rel="stylesheet" href="/_next/static/css/app/layout-3f1c2a9b.css" data-precedence="next"/>` +
    `<link rel="preload" as="script" fetchPriority="low" href="/_next/static/chunks/webpack-7b2e91d4.js"/>` +
    `<script src="/_next/static/chunks/main-app-0c8d1e55.js" async=""></script>` +
    `<title>Shoes &amp; more | Northwind Store</title><meta name="description" content="Shop the catalogue: new arrivals, bestsellers and sale."/></head>` +
    `<body class="min-h-screen bg-white text-gray-900"><header class="site-header border-b"><nav class="container flex items-center justify-between"><a href="/" class="logo font-bold">Northwind</a><ul class="nav flex gap-2">${nav}</ul></nav></header>` +
    `<main class="container py-4"><h1 class="text-lg font-semibold mb-4">All products</h1><section class="product-grid grid gap-4">\n`;
  const tail =
    `</section></main><footer class="site-footer border-t text-sm text-gray-500 py-4"><p>© 2026 Northwind Store</p></footer>` +
    `<script>(self.__next_f=self.__next_f||[]).push([0])</script></body></html>`;
  return head + products.map(productHtml).join("") + tail;
}

const j = JSON.stringify;

function productFlight(p: Product): unknown {
  const children: unknown[] = [
    [
      "$",
      "a",
      null,
      {
        href: `/products/${p.slug}`,
        className: "product-link block relative overflow-hidden rounded-lg",
        children: [
          [
            "$",
            "img",
            null,
            {
              src: `${p.image}?w=480&q=75`,
              alt: p.title,
              width: 480,
              height: 480,
              loading: "lazy",
              className: "aspect-square object-cover w-full",
            },
          ],
          p.badges.length
            ? [
                "$",
                "ul",
                null,
                {
                  className: "badges flex gap-1",
                  children: p.badges.map((b) => ["$", "li", b, { className: "badge text-xs uppercase", children: b }]),
                },
              ]
            : null,
        ],
      },
    ],
    [
      "$",
      "div",
      null,
      {
        className: "product-info p-3",
        children: [
          ["$", "p", null, { className: "brand text-xs uppercase tracking-wide text-gray-500", children: p.brand }],
          ["$", "h3", null, { className: "title text-sm font-medium line-clamp-2", children: p.title }],
          ["$", "p", null, { className: "description text-xs text-gray-700 line-clamp-3", children: p.description }],
          [
            "$",
            "div",
            null,
            {
              className: "price-row flex items-center justify-between mt-2",
              children: [
                ["$", "span", null, { className: "price font-semibold", children: money(p.price) }],
                p.oldPrice ? ["$", "s", null, { className: "price-old text-gray-500 text-sm", children: money(p.oldPrice) }] : null,
                ["$", "$L1", null, { productId: p.id, sku: p.sku, price: p.price }],
              ],
            },
          ],
        ],
      },
    ],
  ];
  return ["$", "article", String(p.id), { className: `product-card ${p.classes}`, "data-product-id": p.id, children }];
}

function pageFlight(products: Product[], maxBytes: number): string {
  const lines = [
    `1:I["(app-pages-browser)/./components/add-to-cart.tsx",["app/products/page","static/chunks/app/products/page-4e9a12c7.js"],"AddToCart"]`,
    `2:I["(app-pages-browser)/./node_modules/next/dist/client/link.js",["app/layout","static/chunks/app/layout-8d3f0b21.js"],""]`,
    `3:I["(app-pages-browser)/./components/product-filters.tsx",["app/products/page","static/chunks/app/products/page-4e9a12c7.js"],"ProductFilters"]`,
    `4:"$Sreact.suspense"`,
  ];
  let size = lines.reduce((n, l) => n + l.length + 1, 0);
  const cards: unknown[] = [];
  for (const p of products) {
    const card = productFlight(p);
    const len = j(card).length + 1;
    if (size + len > maxBytes - 600) break;
    cards.push(card);
    size += len;
  }
  const tree = [
    "$",
    "main",
    null,
    {
      className: "container py-4",
      children: [
        ["$", "h1", null, { className: "text-lg font-semibold mb-4", children: "All products" }],
        ["$", "$L3", null, { categories: CATEGORIES }],
        ["$", "$4", null, { fallback: null, children: ["$", "section", null, { className: "product-grid grid gap-4", children: cards }] }],
      ],
    },
  ];
  lines.push(`0:${j(["$", "div", null, { className: "min-h-screen bg-white text-gray-900", children: [tree] }])}`);
  return `${lines.join("\n")}\n`;
}

export interface RealisticPage {
  html: string;
  rsc: Uint8Array;
  products: number;
}

/** The page: products are added until the HTML reaches `htmlBytes`; the RSC payload carries them up to `rscBytes`. */
export function realisticPage(seed = 20260401, htmlBytes = 60_000, rscBytes = 40_000): RealisticPage {
  const rand = prng(seed);
  const all = makeProducts(rand, 400);
  let count = 1;
  const encoder = new TextEncoder();
  while (count < all.length && encoder.encode(pageHtml(all.slice(0, count + 1))).byteLength <= htmlBytes) count++;
  const products = all.slice(0, count);
  return { html: pageHtml(products), rsc: encoder.encode(pageFlight(products, rscBytes)), products: count };
}
