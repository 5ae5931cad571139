#!/usr/bin/env node
// `npm run test:e2e`: browser tests arrive with the demo (apps/demo, test/e2e).
import { existsSync } from "node:fs";
if (!existsSync(new URL("../test/e2e", import.meta.url))) {
  console.log("edge-isr: no browser suites yet; they arrive with the demo (test/e2e).");
  process.exit(0);
}
const { spawnSync } = await import("node:child_process");
const run = spawnSync("npx", ["vitest", "run", "--project", "e2e"], { stdio: "inherit" });
process.exit(run.status ?? 1);
