// Bundles the L1 benchmark (worker.ts → results/worker.js for Miniflare, bench.ts → results/bench.mjs), then runs it.
import { bundleAndRun } from "../shared/bundle-and-run.mjs";

await bundleAndRun(new URL("./", import.meta.url), {
  platform: "neutral",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["module", "main"],
  external: ["node:*", "cloudflare:*"],
});
