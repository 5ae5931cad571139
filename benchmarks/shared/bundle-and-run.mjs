// Shared by the benchmarks' run.mjs: bundles an optional Worker (worker.ts → results/worker.js,
// for Miniflare) and the Node driver (bench.ts → results/bench.mjs, packages external), then runs it.
import { mkdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

/**
 * esbuild options for a Worker that imports packages with workerd builds (React, the
 * Cloudflare packages): their workerd/worker/browser exports, ESM first.
 */
export const WORKERD_BUNDLE = { platform: "neutral", conditions: ["workerd", "worker", "browser"], mainFields: ["module", "main"] };

/** `dir`: the benchmark's folder URL; `worker`: esbuild options for its Worker, or undefined for none. */
export async function bundleAndRun(dir, worker) {
  const here = (p) => fileURLToPath(new URL(p, dir));
  mkdirSync(here("./results"), { recursive: true });
  if (worker) {
    await build({
      entryPoints: [here("./worker.ts")],
      outfile: here("./results/worker.js"),
      bundle: true,
      format: "esm",
      target: "es2022",
      external: ["node:*"],
      logLevel: "warning",
      ...worker,
    });
  }
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
}
