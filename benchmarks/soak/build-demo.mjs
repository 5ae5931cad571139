// Builds apps/demo for the soak with its own settings, without touching apps/demo:
// the sources are copied to results/demo and built there. Building in place
// (even with another outDir) would rewrite apps/demo/.wrangler/deploy/config.json
// and leak the soak's window and secret into what `vite preview` serves.
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";

const demo = fileURLToPath(new URL("../../apps/demo/", import.meta.url));
const out = fileURLToPath(new URL("./results/demo/", import.meta.url));

/** Builds the demo with `DEMO_REVALIDATE_SECONDS=revalidateSeconds` and a random admin secret; returns the Worker's dir. */
export async function buildDemo(revalidateSeconds) {
  rmSync(out, { recursive: true, force: true });
  for (const item of ["src", "vite.config.ts", "client-assets.ts", "wrangler.toml"]) cpSync(demo + item, out + item, { recursive: true });
  // The demo's tsconfig extends a path relative to apps/demo.
  const tsconfig = JSON.parse(readFileSync(demo + "tsconfig.json", "utf8"));
  tsconfig.extends = fileURLToPath(new URL(tsconfig.extends, new URL("../../apps/demo/", import.meta.url)));
  writeFileSync(out + "tsconfig.json", JSON.stringify(tsconfig, null, 2));

  // vite.config.ts reads these when it loads (in this process); restored right after.
  // NODE_ENV: an inherited "test"/"development" would make Vite bundle React's development build.
  const settings = { DEMO_REVALIDATE_SECONDS: String(revalidateSeconds), DEMO_ADMIN_SECRET: randomUUID(), NODE_ENV: "production" };
  const saved = Object.fromEntries(Object.keys(settings).map((name) => [name, process.env[name]]));
  Object.assign(process.env, settings);
  try {
    const { createBuilder } = await import("vite");
    const builder = await createBuilder({ root: out, logLevel: "warn" });
    await builder.buildApp();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  const worker = out + "dist/edge_isr_demo/";
  if (/\.development\.js/.test(readFileSync(worker + "index.js", "utf8"))) throw new Error(`${worker}index.js bundles React's development build`);
  return worker;
}
