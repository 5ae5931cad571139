/**
 * The modules of a built Worker, as `vite preview` gives them to Miniflare:
 * the main module first, then every file beside it that a module rule of the
 * built wrangler.json matches (`vite build` writes `**\/*.js` and `**\/*.mjs`
 * as ES modules), then wrangler's default rules for wasm, text and data.
 */
import { readdirSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { WorkerModule } from "./miniflare.js";

/** A module rule of a wrangler config. */
export interface ModuleRule {
  type: string;
  globs: string[];
}

/** wrangler's own defaults, after the config's rules (the first rule that matches a file wins). */
const DEFAULT_RULES: ModuleRule[] = [
  { type: "ESModule", globs: ["**/*.mjs", "**/*.js"] },
  { type: "CompiledWasm", globs: ["**/*.wasm", "**/*.wasm?module"] },
  { type: "Text", globs: ["**/*.txt", "**/*.html", "**/*.sql"] },
  { type: "Data", globs: ["**/*.bin"] },
];
const TYPES = new Set<string>(["ESModule", "CommonJS", "CompiledWasm", "Text", "Data"]);

/** A glob of a module rule as a RegExp over a posix relative path (`**\/`, `*` and `?`, as wrangler's rules use them). */
export function globRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (glob.startsWith("**/", i)) {
      out += "(?:.*/)?";
      i += 2;
    } else if (glob.startsWith("**", i)) {
      out += ".*";
      i += 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

function filesBelow(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
}

/** The main module, then every other file a rule gives a module type (source maps and the config match none). */
export function builtModules(main: string, rules: ModuleRule[] = []): WorkerModule[] {
  const root = dirname(resolve(main));
  const compiled = [...rules, ...DEFAULT_RULES]
    .filter((rule) => TYPES.has(rule.type))
    .map((rule) => ({ type: rule.type as WorkerModule["type"], globs: rule.globs.map(globRegExp) }));
  const modules: WorkerModule[] = [{ type: "ESModule", path: resolve(main) }];
  for (const file of filesBelow(root).sort()) {
    if (file === resolve(main)) continue;
    const rel = relative(root, file).split(sep).join("/");
    const rule = compiled.find((r) => r.globs.some((g) => g.test(rel)));
    if (rule) modules.push({ type: rule.type, path: file });
  }
  return modules;
}
