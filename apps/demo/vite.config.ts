/**
 * The demo's build: React (with Fast Refresh in dev) and the Worker in workerd
 * through @cloudflare/vite-plugin. The client is built first so the Worker can
 * link its hashed entry (see client-assets.ts).
 *
 * Environment variables read here, at `vite dev` / `vite build` time, become the
 * Worker's vars (so `edge-isr prerender` and `vite preview` see the same values):
 *   DEMO_REVALIDATE_SECONDS  freshness window of every page (default 20)
 *   DEMO_PERSIST_TO          where vite dev / preview keep the local KV state (default .wrangler/state)
 *
 * The secret, EDGE_ISR_SECRET, is never a var: a var lands in dist/…/wrangler.json and
 * `wrangler deploy` would publish it in plain text. Locally it comes from .dev.vars
 * (gitignored) or, when exported, from the environment, declared as a secret so the
 * plugin reads it there; deployed, from `wrangler secret put EDGE_ISR_SECRET`. Without it
 * the demo's admin accepts "edge-isr-demo" on localhost only.
 */
import { cloudflare } from "@cloudflare/vite-plugin";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { clientAssets } from "./client-assets.ts";

const WORKER_ENV = "edge_isr_demo";

export default defineConfig(({ command, isPreview }) => ({
  plugins: [
    react(),
    cloudflare({
      configPath: "./wrangler.toml",
      inspectorPort: false,
      persistState: process.env.DEMO_PERSIST_TO ? { path: process.env.DEMO_PERSIST_TO } : true,
      config: {
        // Declared only when exported: the plugin then takes it from the environment (and
        // .dev.vars), never from wrangler.json; undeclared, nothing warns about a missing secret.
        ...(process.env.EDGE_ISR_SECRET ? { secrets: { required: ["EDGE_ISR_SECRET"] } } : {}),
        vars: {
          REVALIDATE_SECONDS: process.env.DEMO_REVALIDATE_SECONDS ?? "20",
          // Pages of one build live under its id; dev always uses "dev".
          BUILD_ID: command === "serve" ? "dev" : `build-${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}`,
          // `npm run dev` prerenders through the dev server (edge-isr prerender --url) with this token.
          ...(command === "serve" && !isPreview && process.env.DEMO_PRERENDER_TOKEN
            ? { EDGE_ISR_PRERENDER_TOKEN: process.env.DEMO_PRERENDER_TOKEN }
            : {}),
        },
      },
    }),
    clientAssets({ entry: "src/client.tsx", workerEnvironment: WORKER_ENV }),
  ],
  environments: {
    client: {
      build: { manifest: true, rollupOptions: { input: "src/client.tsx" } },
      // Found up front, so the first page view in dev is not interrupted by a dependency reload.
      optimizeDeps: { include: ["react", "react-dom/client", "react/jsx-dev-runtime"] },
    },
  },
  builder: {
    // Client first, then the Worker, which embeds the client's hashed file names.
    async buildApp(builder) {
      await builder.build(builder.environments.client!);
      await builder.build(builder.environments[WORKER_ENV]!);
    },
  },
}));
