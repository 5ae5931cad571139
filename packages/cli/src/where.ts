/**
 * Where local state lives, for read-only commands run in the wrong place: they
 * say where they looked and point at the directories below that do hold state
 * (from the repository root, `apps/demo`), instead of creating an empty one.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { readWranglerConfig } from "./config.js";
import { CliError } from "./errors.js";
import { kvPersistDir } from "./kv/local.js";

const CONFIG_NAMES = ["wrangler.toml", "wrangler.jsonc", "wrangler.json"];
const SKIPPED = new Set(["node_modules", "dist", "build", "coverage"]);
/** How deep below the current directory to look (apps/demo is 2). */
const MAX_DEPTH = 3;

/** The namespace ids with data in a local state directory. */
export function localNamespaces(persistTo: string): string[] {
  const dir = kvPersistDir(persistTo);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("miniflare-"))
    .map((d) => d.name);
}

/** Directories below `root` whose wrangler config binds `binding` to a namespace with local data in their `.wrangler/state`. */
export function statesBelow(root: string, binding: string): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number) => {
    if (depth > 0) {
      const name = CONFIG_NAMES.find((n) => existsSync(join(dir, n)));
      if (name) {
        try {
          const id = readWranglerConfig(join(dir, name)).kv_namespaces?.find((ns) => ns.binding === binding)?.id;
          if (id && localNamespaces(join(dir, ".wrangler", "state")).includes(id)) found.push(relative(root, dir));
        } catch {
          // an unreadable config elsewhere is not this command's business
        }
      }
    }
    if (depth === MAX_DEPTH) return;
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries)
      if (entry.isDirectory() && !entry.name.startsWith(".") && !SKIPPED.has(entry.name)) visit(join(dir, entry.name), depth + 1);
  };
  visit(resolve(root), 0);
  return found.sort();
}

/** The command line again, run in `dir` (for hints). */
const rerunIn = (dir: string) => `edge-isr --cwd ${dir} ${process.argv.slice(2).join(" ")}`.trimEnd();

/** A hint pointing at the directories below that hold local state, or undefined when there are none. */
export function elsewhereHint(binding: string): string | undefined {
  const dirs = statesBelow(process.cwd(), binding);
  if (dirs.length === 0) return undefined;
  return `local state for a "${binding}" namespace exists in ${dirs.join(", ")}: run the command there, e.g. \`${rerunIn(dirs[0]!)}\` (or cd ${dirs[0]}).`;
}

/** The error a read-only command gives when the namespace has no local state (nothing is created). */
export function noLocalState(persistTo: string, namespaceId: string, binding: string, configPath: string): CliError {
  const others = localNamespaces(persistTo);
  const where = resolve(persistTo);
  const holds = others.length
    ? `; that state holds namespace(s) ${others.join(", ")}`
    : existsSync(where)
      ? ""
      : " (the directory does not exist)";
  return new CliError(
    "ERR_NO_LOCAL_STATE",
    `no local state at ${where} for namespace ${namespaceId} (binding "${binding}" in ${configPath})${holds}`,
    elsewhereHint(binding) ??
      "nothing has been stored there yet: `vite dev`, `vite preview` and `edge-isr prerender` create it. Run the command in your app's directory (or pass --cwd <dir>), or --persist-to <dir> if the state lives elsewhere.",
  );
}
