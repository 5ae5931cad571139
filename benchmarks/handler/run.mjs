// Bundles the benchmark, then runs it:
// - bench.ts (with page.ts and test/helpers/counting-kv.ts) → results/bench.mjs, run in
//   Node; packages stay external, so miniflare, the built @edge-isr/kv-cache-handler
//   (dist/index.js) and @vinext/cloudflare load from node_modules as published;
// - worker.ts → results/worker.js, the Worker Miniflare runs (for the CPU-in-workerd
//   figure), with both handlers bundled in and vinext's request-context import
//   pointed at the same stub the Node alias hook uses.
import { fileURLToPath } from "node:url";
import { bundleAndRun } from "../shared/bundle-and-run.mjs";

await bundleAndRun(new URL("./", import.meta.url), {
  platform: "browser",
  conditions: ["workerd", "worker"],
  alias: { "vinext/shims/request-context": fileURLToPath(new URL("./stubs/request-context.mjs", import.meta.url)) },
});
