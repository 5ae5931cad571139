// Bundles the runtime benchmark, then runs it:
// - worker.ts (with page.ts, React 19, the built @edge-isr/runtime and
//   @edge-isr/kv-cache-handler dist files) → results/worker.js, the Worker
//   Miniflare runs in workerd; bundled for workerd (workerd/worker/browser
//   conditions, so react-dom/server resolves to its web-streams build), React in
//   production mode;
// - bench.ts → results/bench.mjs, the Node driver (packages stay external:
//   miniflare and the built kv-cache-handler load from node_modules).
import { WORKERD_BUNDLE, bundleAndRun } from "../shared/bundle-and-run.mjs";

await bundleAndRun(new URL("./", import.meta.url), {
  ...WORKERD_BUNDLE,
  define: { "process.env.NODE_ENV": '"production"' },
});
