/**
 * The same app on @vinext/cloudflare's own KV data cache (`kvDataAdapter`), for the
 * tests only: they build it to compare what each stores and to migrate its entries
 * with `edge-isr vinext migrate`. `vite build --config vite.config.vinext-kv.ts`.
 */
import { kvDataAdapter } from "@vinext/cloudflare/cache/kv-data-adapter";
import { appConfig } from "./vite.config";

export default appConfig(kvDataAdapter());
