/**
 * Root Vitest config: one project per place tests run.
 * - `workerd`: handler and contract tests inside workerd on Miniflare's real KV.
 * - `workerd-demo`: the demo's routes under injected KV faults and hostile traffic, inside workerd.
 * - `node`: tests that drive Miniflare or built artefacts from Node.
 * - `e2e`: the demo in real Chromium, under vite preview and vite dev.
 * - `vinext`: apps/vinext, a real vinext app on the declarative adapter, under vite preview.
 * - `install`: the packed packages installed into a fresh project outside the repository, on Node 20 and 22.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        test: {
          name: "workerd",
          include: [
            "packages/{kv-cache-handler,runtime}/test/**/*.test.ts",
            "test/contract/**/*.test.ts",
            "test/fuzz/**/*.test.ts",
            "test/scale/**/*.test.ts",
          ],
          exclude: ["test/contract/vinext*.test.ts"],
        },
      },
      {
        // The contract suite against vinext's handler (which imports node:buffer and
        // vinext's request context, from the vinext that apps/vinext installs), and
        // what each handler costs a vinext page in KV operations.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { compatibilityFlags: ["nodejs_compat"] },
          }),
        ],
        test: {
          name: "workerd-vinext",
          include: ["test/contract/vinext*.test.ts"],
        },
      },
      {
        // The demo's own routes (apps/demo/src/shop.ts) under KV faults and hostile traffic, inside workerd.
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { kvNamespaces: ["CACHE", "DB"] } })],
        resolve: { alias: { "virtual:client-assets": new URL("./test/helpers/client-assets.ts", import.meta.url).pathname } },
        test: {
          name: "workerd-demo",
          include: ["test/faults/**/*.test.ts"],
          // Hundreds of React renders per test, sharing two cores with the other files: no test here asserts time.
          testTimeout: 30_000,
        },
      },
      {
        // The demo in Chromium (preview and dev). Alone, after the others: it builds
        // apps/demo and serves it, and shares the machine's two cores with nobody.
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 90_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // apps/vinext (a vinext 1.4 app on @edge-isr/kv-cache-handler/vinext), built with
        // Node 22 and served by vite preview. Alone, after e2e: it builds and serves the app.
        test: {
          name: "vinext",
          environment: "node",
          include: ["test/vinext/**/*.test.ts"],
          testTimeout: 90_000,
          hookTimeout: 240_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
      {
        // The npm pack tarballs in a fresh Vite + Cloudflare project made under the temp
        // directory (installed from the npm registry, through the npm cache), on Node 20 and
        // Node 22. Last and alone: it installs, builds and serves a whole project twice.
        test: {
          name: "install",
          environment: "node",
          include: ["test/install/**/*.test.ts"],
          testTimeout: 5 * 60_000,
          hookTimeout: 10 * 60_000,
          fileParallelism: false,
          sequence: { groupOrder: 3 },
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts", "packages/cli/test/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
