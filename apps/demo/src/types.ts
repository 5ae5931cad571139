/** What the server renders and the browser hydrates: one page's data, serialized into the HTML. */
import type { Product } from "./db";

export interface Review {
  author: string;
  stars: number;
  text: string;
}

/** One cache entry as the inspector shows it. */
export interface InspectorEntry {
  key: string;
  route: string;
  build: string;
  storedBytes: number;
  rawBytes: number;
  lastModified: number;
  state: "fresh" | "stale" | "expired" | "unreadable";
  tags: string[];
}

/** A message shown after an admin action (from the redirect's query). */
export interface Flash {
  kind: "ok" | "error";
  text: string;
}

export type PageData =
  | { page: "catalogue"; products: Product[] }
  | { page: "product"; product: Product }
  | { page: "reviews"; product: Product; reviews: Review[] }
  | { page: "not-found"; path: string }
  | { page: "admin"; products: Product[]; flash?: Flash; localDefaultSecret: boolean }
  | { page: "inspector"; entries: InspectorEntry[]; currentBuild: string; now: number; flash?: Flash; localDefaultSecret: boolean };

/** Facts about the render itself, shown by the cache badge. */
export interface RenderInfo {
  /** When this HTML was rendered (ms since epoch): on a HIT, long before it is served. */
  generatedAt: number;
  /** The page's freshness window in seconds; null for pages that are never cached. */
  revalidate: number | null;
  buildId: string;
}

export interface AppProps {
  data: PageData;
  info: RenderInfo;
}

/** The id of the script element holding the serialized AppProps. */
export const PROPS_ELEMENT_ID = "__demo_props";
