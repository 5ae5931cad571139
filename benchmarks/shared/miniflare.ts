/** The Worker a bench drives, in Miniflare: its worker.ts as run.mjs bundled it, on the benches' compatibility date. */
import { readFileSync } from "node:fs";
import { Miniflare, type MiniflareOptions } from "miniflare";

/** One date for every bench's Worker, so they measure the same workerd behaviour. */
export const COMPATIBILITY_DATE = "2026-04-01";

/** `script`: the bundled Worker (`new URL("./worker.js", import.meta.url)` from a bench's results/bench.mjs). */
export function benchWorker(script: URL, options: Omit<MiniflareOptions, "modules" | "script" | "compatibilityDate"> = {}): Miniflare {
  const source = readFileSync(script, "utf8");
  return new Miniflare({ modules: true, script: source, compatibilityDate: COMPATIBILITY_DATE, ...options } as MiniflareOptions);
}
