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
          include: ["packages/{kv-cache-handler,runtime}/test/**/*.test.ts", "test/contract/**/*.test.ts"],
          exclude: ["test/contract/vinext.test.ts"],
        },
      },
      {
        // The contract suite against vinext's handler, which imports node:buffer
        // and vinext's request context (stubbed: vinext itself is not installed).
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { compatibilityFlags: ["nodejs_compat"] },
          }),
        ],
        resolve: { alias: { "vinext/shims/request-context": new URL("./test/helpers/vinext-request-context.ts", import.meta.url).pathname } },
        test: {
          name: "workerd-vinext",
          include: ["test/contract/vinext.test.ts"],
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
