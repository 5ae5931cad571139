/** The whole UI: one component tree, rendered in the Worker and hydrated in the browser. */
import type { ReactNode } from "react";
import { CacheBadge } from "./components/CacheBadge";
import { Admin } from "./pages/Admin";
import { Catalogue } from "./pages/Catalogue";
import { Inspector } from "./pages/Inspector";
import { ProductPage } from "./pages/Product";
import { Reviews } from "./pages/Reviews";
import type { AppProps, PageData } from "./types";

/** Why a 404 is cheap, as the runtime makes it (see the runtime README's "Not-found pages"). */
const NOT_FOUND_NOTES = {
  unlisted:
    "Only the catalogue's products are pages (dynamicParams: false): this answer was made without rendering a product or touching KV.",
  brief:
    "This 404 is stored for five minutes — a flood of requests for it costs one render — and each route stores at most ten new ones per isolate at a time, so unknown URLs cannot fill KV.",
} as const;

function Page({ data }: { data: PageData }): ReactNode {
  switch (data.page) {
    case "catalogue":
      return <Catalogue products={data.products} />;
    case "product":
      return <ProductPage product={data.product} />;
    case "reviews":
      return <Reviews product={data.product} reviews={data.reviews} />;
    case "admin":
      return <Admin {...data} />;
    case "inspector":
      return <Inspector {...data} />;
    case "not-found":
      return (
        <>
          <h1>Not found</h1>
          <p>
            Nothing lives at <code>{data.path}</code>. {data.note ? NOT_FOUND_NOTES[data.note] : null}
          </p>
        </>
      );
  }
}

export function App({ data, info }: AppProps) {
  return (
    <>
      <header className="top">
        <a href="/" className="brand">
          edge-isr <span>demo shop</span>
        </a>
        <nav>
          <a href="/">Catalogue</a>
          <a href="/admin">Admin</a>
          <a href="/admin/cache">Cache inspector</a>
        </nav>
      </header>
      <CacheBadge info={info} />
      <main>
        <Page data={data} />
      </main>
      <footer>
        build <code data-testid="build-id">{info.buildId}</code> · shop pages are fresh for their window, then served stale while they
        regenerate · Workers KV through <code>@edge-isr/kv-cache-handler</code> and <code>@edge-isr/runtime</code>
      </footer>
    </>
  );
}
