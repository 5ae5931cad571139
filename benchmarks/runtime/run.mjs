// Bundles the runtime benchmark, then runs it:
// - worker.ts (with page.ts, React 19, the built @edge-isr/runtime and
//   @edge-isr/kv-cache-handler dist files) → results/worker.js, the Worker
//   Miniflare runs in workerd; bundled for workerd (workerd/worker/browser
//   conditions, so react-dom/server resolves to its web-streams build), React in
//   production mode;
// - bench.ts → results/bench.mjs, the Node driver (packages stay external:
//   miniflare and the built kv-cache-handler load from node_modules).
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
mkdirSync(here("./results"), { recursive: true });
await build({
  entryPoints: [here("./worker.ts")],
  outfile: here("./results/worker.js"),
  bundle: true,
  platform: "neutral",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["module", "main"],
  format: "esm",
  target: "es2022",
  minify: false,
  define: { "process.env.NODE_ENV": '"production"' },
  external: ["node:*"],
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
