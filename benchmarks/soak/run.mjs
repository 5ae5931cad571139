// Builds the demo for the soak (build-demo.mjs: a copy of apps/demo, 5 s windows;
// bench.ts gives it a random EDGE_ISR_SECRET binding), bundles worker.ts — the built demo behind a KV-counting
// wrapper — for workerd and bench.ts for Node, then runs the soak.
import { bundleAndRun } from "../shared/bundle-and-run.mjs";
import { buildDemo } from "./build-demo.mjs";

const REVALIDATE_SECONDS = 5;

const worker = await buildDemo(REVALIDATE_SECONDS);
await bundleAndRun(new URL("./", import.meta.url), { platform: "neutral", alias: { "soak:demo": `${worker}index.js` } });
