/**
 * A vinext 1.4 App Router app whose data cache is @edge-isr/kv-cache-handler,
 * declared in vinext's `cache.data` slot, running in workerd through
 * @cloudflare/vite-plugin. `VINEXT_APP_PERSIST_TO` moves the local KV state
 * (tests give each run its own directory).
 */
import { cloudflare } from "@cloudflare/vite-plugin";
import { kvDataAdapter } from "@edge-isr/kv-cache-handler/vinext";
import vinext from "vinext";
import { defineConfig } from "vite";

/** The app with a given data cache: edge-isr's here, @vinext/cloudflare's in vite.config.vinext-kv.ts. */
export function appConfig(data: { adapter: string; options?: Record<string, unknown> | undefined }) {
  return defineConfig({
    plugins: [
      vinext({ cache: { data } }),
      cloudflare({
        viteEnvironment: { name: "rsc", childEnvironments: ["ssr"] },
        inspectorPort: false,
        persistState: process.env.VINEXT_APP_PERSIST_TO ? { path: process.env.VINEXT_APP_PERSIST_TO } : true,
      }),
    ],
  });
}

// The production setup: the coordinator Durable Object (bound in wrangler.jsonc, exported by worker.ts).
export default appConfig(kvDataAdapter({ coordinator: { binding: "EDGE_ISR_COORDINATOR" } }));
