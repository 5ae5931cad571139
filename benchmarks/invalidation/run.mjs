// Bundles the invalidation benchmark, then runs it:
// - the handler as it was before the tag clock (commit 7db1137: revalidateTag
//   swept every entry), taken from git into results/before/ to be measured beside it;
// - worker.ts (the handler's source, the one from before, vinext's handler) →
//   results/worker.js, which Miniflare runs in workerd with KV, the coordinator
//   Durable Object and the Cache API;
// - bench.ts → results/bench.mjs, the Node driver.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { WORKERD_BUNDLE, bundleAndRun } from "../shared/bundle-and-run.mjs";

const BEFORE = "7db1137";
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const root = here("../../");
const dir = "packages/kv-cache-handler/src";
mkdirSync(here("./results/before"), { recursive: true });
const files = execFileSync("git", ["ls-tree", "--name-only", `${BEFORE}:${dir}`], { cwd: root, encoding: "utf8" })
  .split("\n")
  .filter((f) => f.endsWith(".ts"));
for (const file of files)
  writeFileSync(here(`./results/before/${file}`), execFileSync("git", ["show", `${BEFORE}:${dir}/${file}`], { cwd: root }));

await bundleAndRun(new URL("./", import.meta.url), {
  ...WORKERD_BUNDLE,
  external: ["node:*", "cloudflare:*"],
  alias: {
    "edge-isr-before": here("./results/before/index.ts"),
  },
});
