/**
 * The user's toolchain: the Miniflare — and so the workerd — that their
 * `vite dev` / `vite preview` or `wrangler dev` run. The CLI runs the built
 * Worker and opens `.wrangler/state` with that same Miniflare, never one of
 * its own: workerd migrates the state files it opens, so a different workerd
 * could not read them afterwards (or they it), and an older one refuses the
 * compatibility dates the user's toolchain accepts.
 *
 * The rule, looked up from the app's directory and then, as a fallback, from
 * where edge-isr itself is installed (e.g. `npx`'s cache, which holds the
 * `wrangler` peer dependency): the `miniflare` of `@cloudflare/vite-plugin`
 * (what `vite dev`/`vite preview` run), else the one of `wrangler` (what
 * `wrangler dev` runs), else a `miniflare` the project depends on directly.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CliError } from "./errors.js";
import { CLI_VERSION } from "./version.js";

/** The packages that bring a Miniflare, in the order the CLI prefers them. */
const PROVIDERS = ["@cloudflare/vite-plugin", "wrangler"] as const;

export interface Toolchain {
  /** What brought this Miniflare: "@cloudflare/vite-plugin 1.64.0", "wrangler 4.151.0" or "miniflare" (a direct dependency). */
  via: string;
  /** The directory it was looked up from: the app's, or (`fallback`) edge-isr's own install. */
  from: string;
  fallback: boolean;
  miniflare: { version: string; major: number; dir: string };
  /** The workerd version that Miniflare runs, when it can be told. */
  workerd: string | undefined;
}

/** The Miniflare majors whose API the CLI speaks (5 through its `convertV4MiniflareOptions`). */
export const SUPPORTED_MINIFLARE_MAJORS: readonly number[] = [4, 5];

/** "miniflare 5.20261012.0-beta (workerd 1.20261012.1, from @cloudflare/vite-plugin 1.64.0)". */
export function describeToolchain(t: Toolchain): string {
  const parts = [t.workerd ? `workerd ${t.workerd}` : "", t.via === "miniflare" ? "" : `from ${t.via}`].filter(Boolean);
  return `miniflare ${t.miniflare.version}${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

const readPackage = (dir: string) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string };

/** The directory `name` resolves to from `dir`, as Node looks it up (node_modules upwards), symlinks followed. */
export function packageDir(name: string, dir: string): string | undefined {
  for (let at = resolve(dir); ; at = dirname(at)) {
    const candidate = join(at, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    if (dirname(at) === at) return undefined;
  }
}

function toolchainAt(from: string, fallback: boolean, via: string, viaDir: string): Toolchain | undefined {
  const dir = packageDir("miniflare", viaDir);
  if (!dir) return undefined;
  const version = readPackage(dir).version;
  const workerdDir = packageDir("workerd", dir);
  return {
    via,
    from,
    fallback,
    miniflare: { version, major: Number(version.split(".")[0]), dir },
    workerd: workerdDir ? readPackage(workerdDir).version : undefined,
  };
}

/** Where edge-isr itself is installed: the folder of its package.json (from dist/chunks/ or src/). */
function ownDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Finds the toolchain's Miniflare from `appDir`, then from edge-isr's own install; undefined when there is none. */
export function findToolchain(appDir: string = process.cwd(), fallbackDir: string = ownDir()): Toolchain | undefined {
  for (const [from, fallback] of [
    [appDir, false],
    [fallbackDir, true],
  ] as const) {
    for (const provider of PROVIDERS) {
      const providerDir = packageDir(provider, from);
      const found = providerDir && toolchainAt(from, fallback, `${provider} ${readPackage(providerDir).version}`, providerDir);
      if (found) return found;
    }
    const direct = toolchainAt(from, fallback, "miniflare", from);
    if (direct) return direct;
  }
  return undefined;
}

/** The part of Miniflare's module the CLI uses, in both majors it supports. */
export interface MiniflareModule {
  Miniflare: new (options: object) => unknown;
  /** Miniflare 5: turns the options Miniflare 4 took into its own. */
  convertV4MiniflareOptions?: (options: object) => object;
}

let loaded: Promise<{ module: MiniflareModule; toolchain: Toolchain }> | undefined;
let current: Toolchain | undefined;

/** Where a toolchain was found, in words. */
export const foundWhere = (t: Toolchain) =>
  t.fallback ? `beside edge-isr (${t.from}), the app's directory having none` : `from ${t.from}`;

/** The toolchain this process loaded, if any (for error messages). */
export const loadedToolchain = () => current;

/** Checks the toolchain is one the CLI supports; a coded error naming both versions otherwise. */
export function checkToolchain(toolchain: Toolchain | undefined, appDir: string): Toolchain {
  if (!toolchain) {
    throw new CliError(
      "ERR_NO_MINIFLARE",
      `found no Miniflare from ${appDir} (looked for @cloudflare/vite-plugin, wrangler and miniflare in its node_modules, then in edge-isr's own)`,
      "run edge-isr in your app's directory (or pass --cwd <dir>), where `npm install -D @cloudflare/vite-plugin wrangler` (or `wrangler` alone) installed the Miniflare your `vite preview` / `wrangler dev` run.",
    );
  }
  if (!SUPPORTED_MINIFLARE_MAJORS.includes(toolchain.miniflare.major)) {
    throw new CliError(
      "ERR_MINIFLARE_UNSUPPORTED",
      `your project's ${describeToolchain(toolchain)} is not one edge-isr ${CLI_VERSION} can run: it supports miniflare ${SUPPORTED_MINIFLARE_MAJORS.map((m) => `${m}.x`).join(" and ")}`,
      `install a @cloudflare/vite-plugin / wrangler whose Miniflare the edge-isr README lists under "Supported versions", or an edge-isr release that supports miniflare ${toolchain.miniflare.major}.x.`,
    );
  }
  return toolchain;
}

/** Loads the toolchain's Miniflare, once per process. */
export function loadMiniflare(appDir: string = process.cwd()): Promise<{ module: MiniflareModule; toolchain: Toolchain }> {
  loaded ??= (async () => {
    const toolchain = checkToolchain(findToolchain(appDir), appDir);
    const entry = createRequire(import.meta.url).resolve(toolchain.miniflare.dir);
    const module = (await import(pathToFileURL(entry).href)) as MiniflareModule;
    current = toolchain;
    return { module, toolchain };
  })();
  return loaded;
}
