/**
 * The demo's "database": a handful of products, seeded in code, with the edits
 * made in /admin stored in the DB KV namespace. A page render reads it, so an
 * edit shows once the page's cache entry is revalidated.
 */
export interface Product {
  id: string;
  name: string;
  /** Price in euro cents. */
  price: number;
  blurb: string;
  /** When the product was last edited (ms), 0 for the seed. */
  updatedAt: number;
}

const SEED: readonly Product[] = [
  { id: "1", name: "Edge Espresso", price: 1290, blurb: "A dark roast served from the nearest data centre.", updatedAt: 0 },
  {
    id: "2",
    name: "Stale-While-Revalidate Sourdough",
    price: 650,
    blurb: "Yesterday's loaf at once, today's in the background.",
    updatedAt: 0,
  },
  { id: "3", name: "Key-Value Kombucha", price: 480, blurb: "Eventually consistent fizz, everywhere within a minute.", updatedAt: 0 },
  { id: "4", name: "Isolate Iced Tea", price: 390, blurb: "Cold starts measured in milliseconds.", updatedAt: 0 },
  { id: "5", name: "Prerendered Pretzel", price: 275, blurb: "Baked at build time, warm on the first visit.", updatedAt: 0 },
  { id: "6", name: "Tagged Tiramisu", price: 840, blurb: "Revalidate by tag: product:6.", updatedAt: 0 },
];

/** The ids prerendered at build time. */
export const productIds = (): string[] => SEED.map((p) => p.id);

const dbKey = (id: string) => `product:${id}`;

export async function getProduct(db: KVNamespace, id: string): Promise<Product | undefined> {
  const seed = SEED.find((p) => p.id === id);
  if (!seed) return undefined;
  const edited = await db.get<Partial<Product>>(dbKey(id), "json");
  return edited ? { ...seed, ...edited, id } : seed;
}

export async function listProducts(db: KVNamespace): Promise<Product[]> {
  return Promise.all(SEED.map(async (p) => (await getProduct(db, p.id))!));
}

/** Limits of the admin form, checked before anything is written. */
export const LIMITS = { nameChars: 80, maxPriceCents: 1_000_000 } as const;

/** Validates an edit; returns a message naming the bad value and its limit, or the product to store. */
export function validateEdit(id: string, name: string, price: string): { error: string } | { product: Pick<Product, "name" | "price"> } {
  if (!SEED.some((p) => p.id === id)) return { error: `there is no product ${JSON.stringify(id)} (ids are ${productIds().join(", ")})` };
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > LIMITS.nameChars) {
    return { error: `name must be 1–${LIMITS.nameChars} characters, got ${trimmed.length}` };
  }
  const euros = Number(price);
  const cents = Math.round(euros * 100);
  if (!/^\d+(\.\d{1,2})?$/.test(price.trim()) || cents <= 0 || cents > LIMITS.maxPriceCents) {
    return {
      error: `price must be a number of euros between 0.01 and ${LIMITS.maxPriceCents / 100}, got ${JSON.stringify(price.slice(0, 20))}`,
    };
  }
  return { product: { name: trimmed, price: cents } };
}

export async function saveProduct(db: KVNamespace, id: string, edit: Pick<Product, "name" | "price">, now: number): Promise<void> {
  await db.put(dbKey(id), JSON.stringify({ ...edit, updatedAt: now }));
}

export const formatPrice = (cents: number) => `€${(cents / 100).toFixed(2)}`;
