/**
 * `virtual:client-assets`: the script the server-rendered HTML loads to hydrate.
 * In dev it is the source entry served by Vite (plus Vite's HMR client); in a
 * build it is the hashed file from the client build's manifest, which is why
 * the client environment is built before the Worker.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Plugin, ResolvedConfig } from "vite";

const ID = "virtual:client-assets";

export function clientAssets(options: { entry: string; workerEnvironment: string }): Plugin {
  let config: ResolvedConfig;
  return {
    name: "edge-isr-demo:client-assets",
    configResolved(resolved) {
      config = resolved;
    },
    resolveId(id) {
      if (id === ID) return `\0${ID}`;
    },
    load(id) {
      if (id !== `\0${ID}`) return;
      if (config.command === "serve") {
        return `export default ${JSON.stringify({ scripts: ["/@vite/client", `/${options.entry}`] })};`;
      }
      const outDir = join(config.root, config.environments.client!.build.outDir);
      let manifest: Record<string, { file: string; isEntry?: boolean }>;
      try {
        manifest = JSON.parse(readFileSync(join(outDir, ".vite/manifest.json"), "utf8"));
      } catch (cause) {
        throw new Error(
          `the client build's manifest is missing from ${outDir}: build the client environment before ${options.workerEnvironment}`,
          { cause },
        );
      }
      const chunk = manifest[options.entry];
      if (!chunk) throw new Error(`${options.entry} is not in the client manifest (entries: ${Object.keys(manifest).join(", ")})`);
      return `export default ${JSON.stringify({ scripts: [`/${chunk.file}`] })};`;
    },
  };
}
