// Builds a copy of apps/demo for the soak (scripts/build-demo-copy.mjs), in results/demo.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildDemoCopy } from "../../scripts/build-demo-copy.mjs";

const out = fileURLToPath(new URL("./results/demo/", import.meta.url));

/** Builds the demo with `DEMO_REVALIDATE_SECONDS=revalidateSeconds`; returns the Worker's dir. (The soak passes the secret as a binding.) */
export async function buildDemo(revalidateSeconds) {
  // NODE_ENV: an inherited "test"/"development" would make Vite bundle React's development build.
  const worker = await buildDemoCopy(out, { DEMO_REVALIDATE_SECONDS: String(revalidateSeconds), NODE_ENV: "production" });
  if (/\.development\.js/.test(readFileSync(`${worker}index.js`, "utf8")))
    throw new Error(`${worker}index.js bundles React's development build`);
  return worker;
}
