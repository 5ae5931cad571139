#!/usr/bin/env node
// Builds the package in the current directory: one ESM file (dist/index.js;
// self-contained apart from the package's declared dependencies), one small file per
// other `exports` subpath that imports it, plus .d.ts files.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// A package's own dependencies stay imports; everything else is bundled in.
const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const external = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies });
rmSync("dist", { recursive: true, force: true });
if (pkg.bin) {
  // A command: src/cli.ts → dist/cli.js, one Node ESM file for what every run needs, plus
  // chunks each command imports when it runs (so `--help` loads no Miniflare and no
  // Cloudflare client). Its dependencies stay in node_modules; workspace packages it
  // only develops against (@edge-isr/*) are bundled in, so it installs on its own.
  // The bin itself is a committed launcher that imports dist/cli.js.
  await build({
    entryPoints: ["src/cli.ts"],
    outdir: "dist",
    entryNames: "[name]",
    chunkNames: "chunks/[name]-[hash]",
    splitting: true,
    bundle: true,
    format: "esm",
    platform: "node",
    // Bundled dependencies as ES modules where they ship one (jsonc-parser's "main" is UMD).
    mainFields: ["module", "main"],
    target: "node20",
    sourcemap: true,
    external,
  });
  console.log(`built ${Object.keys(pkg.bin).join(", ")} → dist/cli.js`);
  process.exit(0);
}
const common = { bundle: true, format: "esm", platform: "neutral", target: "es2022", sourcemap: true, legalComments: "none" };
await build({ ...common, entryPoints: ["src/index.ts"], outfile: "dist/index.js", external });
// Each other `exports` subpath ("./vinext" → src/vinext.ts → dist/vinext.js) imports the
// main entry as a sibling file instead of bundling a second copy, so both share one
// KVCacheHandler and one error class (instanceof holds across them).
const mainEntry = {
  name: "main-entry",
  setup: (b) => b.onResolve({ filter: /^\.\/index\.js$/ }, () => ({ path: "./index.js", external: true })),
};
for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
  if (subpath === ".") continue;
  const out = target.import.replace(/^\.\//, "");
  const entry = out.replace(/^dist\//, "src/").replace(/\.js$/, ".ts");
  await build({ ...common, entryPoints: [entry], outfile: out, external, plugins: [mainEntry] });
}
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.json"], { stdio: "inherit" });
console.log(`built ${process.cwd().split("/").slice(-2).join("/")}/dist`);
