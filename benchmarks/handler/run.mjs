// Bundles the benchmark, then runs it:
// - bench.ts (with page.ts and test/helpers/counting-kv.ts) → results/bench.mjs, run in
//   Node; packages stay external, so miniflare, the built @edge-isr/kv-cache-handler
//   (dist/index.js) and @vinext/cloudflare load from node_modules as published;
// - worker.ts → results/worker.js, the Worker Miniflare runs (for the CPU-in-workerd
//   figure), with both handlers bundled in and vinext's request-context import
//   pointed at the same stub the Node alias hook uses.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
mkdirSync(here("./results"), { recursive: true });
await build({
  entryPoints: [here("./worker.ts")],
  outfile: here("./results/worker.js"),
  bundle: true,
  platform: "browser",
  conditions: ["workerd", "worker"],
  format: "esm",
  target: "es2022",
  external: ["node:*"],
  alias: { "vinext/shims/request-context": here("./stubs/request-context.mjs") },
  logLevel: "warning",
});
const outfile = here("./results/bench.mjs");
await build({
  entryPoints: [here("./bench.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  logLevel: "warning",
});
await import(pathToFileURL(outfile).href);
