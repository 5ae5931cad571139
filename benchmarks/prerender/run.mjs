// Bundles bench.ts (TypeScript, importing the CLI's sources) for Node and runs it.
import { mkdirSync } from "node:fs";
import { build } from "esbuild";

const out = new URL("./results/bench.mjs", import.meta.url).pathname;
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
await build({ entryPoints: [new URL("./bench.ts", import.meta.url).pathname], outfile: out, bundle: true, format: "esm", platform: "node", target: "node20", packages: "external", logLevel: "warning" });
await import(out);
