/**
 * Builds a copy of apps/demo with its own settings, without touching apps/demo:
 * the sources are copied to `out` and built there. Building in place (even with
 * another outDir) would rewrite apps/demo/.wrangler/deploy/config.json and leak
 * the copy's settings into what `vite preview` serves. Used by the soak and by
 * the test that the demo's build holds no secret.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const demo = fileURLToPath(new URL("../apps/demo/", import.meta.url));

/**
 * Builds the copy with `settings` in the environment (vite.config.ts reads it when it
 * loads, in this process; restored right after); returns the built Worker's directory.
 */
export async function buildDemoCopy(out, settings) {
  rmSync(out, { recursive: true, force: true });
  for (const item of ["src", "vite.config.ts", "client-assets.ts", "wrangler.toml"])
    cpSync(join(demo, item), join(out, item), { recursive: true });
  // The demo's tsconfig extends a path relative to apps/demo.
  const tsconfig = JSON.parse(readFileSync(join(demo, "tsconfig.json"), "utf8"));
  tsconfig.extends = fileURLToPath(new URL(tsconfig.extends, new URL("../apps/demo/", import.meta.url)));
  writeFileSync(join(out, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));

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
  return `${join(out, "dist", "edge_isr_demo")}/`;
}
