// Bundles bench.ts (TypeScript, importing the CLI's sources) for Node and runs it.
import { bundleAndRun } from "../shared/bundle-and-run.mjs";

await bundleAndRun(new URL("./", import.meta.url));
