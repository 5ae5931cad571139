/** What the server renders and the browser hydrates: one page's data, serialized into the HTML. */
import type { Product } from "./db";

export interface Review {
  author: string;
  stars: number;
  text: string;
}

/** One cache entry as the inspector shows it: all of it from the key and its KV metadata (no read of the entry). */
export interface InspectorEntry {
  /** The KV key. */
  key: string;
  route: string;
  build: string;
  storedBytes: number;
  rawBytes: number;
  lastModified: number;
  state: "fresh" | "stale" | "expired";
}

/** A message shown after an admin action: an error, or a notice from the fixed set of server/notices.ts. */
export interface Flash {
  kind: "ok" | "error";
  text: string;
}

export type PageData =
  | { page: "catalogue"; products: Product[] }
  | { page: "product"; product: Product }
  | { page: "reviews"; product: Product; reviews: Review[] }
  /** `note`: why this 404 costs little — "unlisted" (dynamicParams: false, nothing rendered or stored) or "brief" (stored a few minutes). */
  | { page: "not-found"; path: string; note?: "unlisted" | "brief" }
  | { page: "admin"; products: Product[]; signedIn: boolean; flash?: Flash; localDefaultSecret: boolean }
  | {
      page: "inspector";
      signedIn: boolean;
      entries: InspectorEntry[];
      /** The cursor of the next page of KV keys, if any. */
      next?: string;
      /** The tags the purge form offers. */
      tags: string[];
      currentBuild: string;
      now: number;
      flash?: Flash;
      localDefaultSecret: boolean;
    };

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
