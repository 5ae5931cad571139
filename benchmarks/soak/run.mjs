// Builds the demo for the soak (build-demo.mjs: a copy of apps/demo, 5 s windows,
// a random admin secret), bundles worker.ts — the built demo behind a KV-counting
// wrapper — for workerd and bench.ts for Node, then runs the soak.
import { bundleAndRun } from "../shared/bundle-and-run.mjs";
import { buildDemo } from "./build-demo.mjs";

const REVALIDATE_SECONDS = 5;

const worker = await buildDemo(REVALIDATE_SECONDS);
await bundleAndRun(new URL("./", import.meta.url), { platform: "neutral", alias: { "soak:demo": worker + "index.js" } });
