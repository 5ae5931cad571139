#!/usr/bin/env node
// Launches the built command. Kept outside dist/ so npm links the bin at install time, before a build.
import { existsSync } from "node:fs";

const built = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(built)) {
  process.stderr.write(
    "✘ [ERR_NOT_BUILT] edge-isr is not built yet\n\n  How to solve this error: run `npm run build` at the repository root.\n",
  );
  process.exit(1);
}
await import(built.href);
