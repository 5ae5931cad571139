/** What a bench's report says about where it ran: Node, CPUs, and the versions of the packages measured. */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

export function machine() {
  return { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown" };
}

/** The name and version in the package.json above a module's resolved file; `undefined` when it cannot be resolved. */
export function packageOf(specifier: string): { name: string; version: string } | undefined {
  try {
    let dir = new URL(".", import.meta.resolve(specifier));
    for (let i = 0; i < 6; i++, dir = new URL("..", dir)) {
      try {
        const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as { name?: string; version?: string };
        if (pkg.name && pkg.version) return { name: pkg.name, version: pkg.version };
      } catch {
        // keep walking up
      }
    }
  } catch {
    // not resolvable
  }
  return undefined;
}

/** Miniflare's version, as the reports print it. */
export const miniflareVersion = () => packageOf("miniflare")?.version ?? "unknown";
