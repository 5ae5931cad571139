/**
 * The same app on @vinext/cloudflare's own KV data cache (`kvDataAdapter`), for the
 * tests only: they build it to compare stored bytes with edge-isr's and to migrate
 * its entries with `edge-isr vinext migrate`. `vite build --config vite.config.vinext-kv.ts`.
 */
import { cloudflare } from "@cloudflare/vite-plugin";
import { kvDataAdapter } from "@vinext/cloudflare/cache/kv-data-adapter";
import vinext from "vinext";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [
    vinext({ cache: { data: kvDataAdapter() } }),
    cloudflare({
      viteEnvironment: { name: "rsc", childEnvironments: ["ssr"] },
      inspectorPort: false,
      persistState: process.env.VINEXT_APP_PERSIST_TO ? { path: process.env.VINEXT_APP_PERSIST_TO } : true,
    }),
  ],
});
