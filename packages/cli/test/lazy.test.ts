/**
 * `edge-isr --help` and argument errors load only the command's declarations:
 * the built dist/cli.js and the chunks it imports statically reach none of
 * the heavy modules (Miniflare, the Cloudflare client, the bundled cache
 * handler…), which only the chunks a command imports when it runs do. How
 * fast that is lives in benchmarks/cli, not here.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, ensureCliBuilt, runCli } from "./helpers/run.js";

/** The modules a file imports statically (`import … from "x"`, `export … from "x"`), not `import("x")`. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s*"([^"]+)";?$|^import\s*"([^"]+)";?$/gms)].map((m) => (m[1] ?? m[2])!);
}

/** Every module reached from `entry` through static imports: relative files followed, packages listed. */
function staticGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith(".")) visit(join(dirname(file), spec));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { files: [...files], packages: [...packages] };
}

describe("the CLI's start-up", () => {
  beforeAll(ensureCliBuilt, 120_000);

  it("imports only commander and Node's own modules before a command runs", () => {
    const { files, packages } = staticGraph(CLI);
    expect(packages.filter((p) => !p.startsWith("node:")).sort()).toEqual(["commander"]);
    // The code that needs Miniflare or the cache handler is there, in chunks imported on demand.
    const all = files.map((f) => readFileSync(f, "utf8")).join("\n");
    expect(all).not.toContain("function startMiniflare");
    expect(all).not.toContain("class KVCacheHandler");
    expect(readFileSync(CLI, "utf8")).toMatch(/await import\("\.\/chunks\/prerender-[^"]+\.js"\)/);
  });

  it("answers --help and argument errors before opening anything", async () => {
    const help = await runCli(["--help"], { cwd: "/" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("edge-isr init");
    const wrong = await runCli(["prune", "--keep", "x"], { cwd: "/" });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain("ERR_BAD_ARGUMENT");
    expect(wrong.stderr).not.toContain("ERR_NO_MINIFLARE");
  });
});
