/** The whole UI: one component tree, rendered in the Worker and hydrated in the browser. */
import type { ReactNode } from "react";
import { CacheBadge } from "./components/CacheBadge";
import { Admin } from "./pages/Admin";
import { Catalogue } from "./pages/Catalogue";
import { Inspector } from "./pages/Inspector";
import { ProductPage } from "./pages/Product";
import { Reviews } from "./pages/Reviews";
import type { AppProps, PageData } from "./types";

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
            Nothing lives at <code>{data.path}</code>. This 404 is cached too, so a flood of requests for it costs one render.
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
        build <code data-testid="build-id">{info.buildId}</code> · shop pages are fresh for their window, then served stale while they regenerate ·
        Workers KV through <code>@edge-isr/kv-cache-handler</code> and <code>@edge-isr/runtime</code>
      </footer>
    </>
  );
}
