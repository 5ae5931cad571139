/**
 * Root Vitest config: one project per place tests run.
 * - `workerd`: handler and contract tests inside workerd on Miniflare's real KV.
 * - `node`: tests that drive Miniflare or built artefacts from Node.
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
          include: ["packages/*/test/**/*.test.ts", "test/contract/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
