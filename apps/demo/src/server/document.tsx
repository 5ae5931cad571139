/**
 * Renders a page to a complete HTML response with React 19's
 * `renderToReadableStream`: the app inside #root, its props serialized for
 * hydration, and the client entry as a bootstrap module.
 */
import { renderToReadableStream } from "react-dom/server";
import clientAssets from "virtual:client-assets";
import { App } from "../app";
import css from "../styles.css?inline";
import { type AppProps, PROPS_ELEMENT_ID } from "../types";

/** JSON that is safe inside a <script> element (no "</script>", no U+2028 surprises). */
const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");

/** Inline, so the browser's favicon request never reaches the Worker (or shows up as a 404). */
const ICON = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#f6821f"/></svg>')}`;

const TITLES: Record<AppProps["data"]["page"], string> = {
  catalogue: "Catalogue",
  product: "Product",
  reviews: "Reviews",
  "not-found": "Not found",
  admin: "Admin",
  inspector: "Cache inspector",
};

export async function renderDocument(props: AppProps, init: { status?: number; headers?: HeadersInit } = {}): Promise<Response> {
  const title = props.data.page === "product" ? props.data.product.name : TITLES[props.data.page];
  const stream = await renderToReadableStream(
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · edge-isr demo`}</title>
        <link rel="icon" href={ICON} />
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: the app's own stylesheet, bundled at build time */}
        <style dangerouslySetInnerHTML={{ __html: css }} />
      </head>
      <body>
        <div id="root">
          <App {...props} />
        </div>
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: scriptJson escapes "<", so the JSON cannot end the script element */}
        <script type="application/json" id={PROPS_ELEMENT_ID} dangerouslySetInnerHTML={{ __html: scriptJson(props) }} />
      </body>
    </html>,
    { bootstrapModules: clientAssets.scripts },
  );
  // Whole pages are stored, so wait for all of it (there is no Suspense to stream anyway).
  await stream.allReady;
  const headers = new Headers(init.headers);
  headers.set("content-type", "text/html; charset=utf-8");
  return new Response(stream, { status: init.status ?? 200, headers });
}
