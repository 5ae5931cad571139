/**
 * `edge-isr vinext prerender --url <origin>`: stores a vinext app's static pages
 * in KV before visitors ask for them, through a server running the app's build
 * (`vite preview` for the local state, a staged or deployed Worker for its
 * namespace). vinext's own path discovery finds the pages (static routes and
 * every `generateStaticParams` result, run in that server's Worker with the
 * build's prerender secret); each page is then requested as a visitor would,
 * so vinext renders it in workerd and its data cache (`@edge-isr/kv-cache-handler/vinext`)
 * stores it; each is read back until vinext answers `X-Vinext-Cache: HIT`.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { SingleBar } from "cli-progress";
import { CliError } from "../errors.js";
import { pool } from "../pool.js";
import { choosePaths, type PathChoice } from "./prerender-steps.js";

/** vinext's header for its build's prerender secret (`x-vinext-prerender-secret`). */
const SECRET_HEADER = "x-vinext-prerender-secret";
const CACHE_HEADER = "x-vinext-cache";

export interface VinextPrerenderOptions extends PathChoice {
  /** The running server: `vite preview`, `wrangler dev`, a staged deployment. */
  url: string;
  /** The vinext app (its build under dist/server and its routes). Default: the current directory. */
  root?: string;
  concurrency?: number;
  verify?: boolean;
  dryRun?: boolean;
  /** How long a page may take to read back as a HIT after it was rendered (its write lands after the response). */
  verifyTimeoutMs?: number;
  log?: (line: string) => void;
  progress?: boolean;
}

export interface VinextPrerenderResult {
  buildId: string;
  planned: string[];
  rendered: string[];
  /** Pages vinext does not cache (dynamic): nothing to store. */
  uncached: string[];
  failed: { path: string; reason: string }[];
  seconds: number;
  origin: string;
}

interface VinextBuild {
  buildId: string;
  secret: string;
}

/** The build's id and prerender secret, from `dist/server` as `vite build` writes them. */
export function readVinextBuild(root: string): VinextBuild {
  const server = join(root, "dist", "server");
  const manifest = join(server, "vinext-server.json");
  if (!existsSync(manifest) || !existsSync(join(server, "BUILD_ID"))) {
    throw new CliError(
      "ERR_WORKER_NOT_BUILT",
      `found no vinext build in ${server} (vinext-server.json, BUILD_ID)`,
      "run `vite build` in the vinext app first, or pass --root <the app's directory>.",
    );
  }
  const secret = (JSON.parse(readFileSync(manifest, "utf8")) as { prerenderSecret?: unknown }).prerenderSecret;
  if (typeof secret !== "string" || !secret) {
    throw new CliError("ERR_WORKER_NOT_BUILT", `${manifest} has no prerenderSecret`, "build again with vinext ≥ 1.4 (`vite build`).");
  }
  return { buildId: readFileSync(join(server, "BUILD_ID"), "utf8").trim(), secret };
}

/**
 * vinext's own path discovery (what `vinext-cloudflare deploy --warm-cache` uses): the app's
 * routes, with each `generateStaticParams` run in the server's Worker. Pages vinext does not
 * list as static (dynamic routes, unlisted paths) are left out.
 */
async function discoverPaths(root: string, origin: string, build: VinextBuild): Promise<string[]> {
  const module = vinextModule(root, "./internal/build/prerender-paths");
  let discover: (options: object) => Promise<{
    appPaths?: string[];
    pagesPaths?: string[];
    paths: string[];
    routePatterns?: Record<string, { cacheabilityProbe?: { unlisted?: boolean } }>;
  } | null>;
  try {
    ({ discoverPrerenderPathManifest: discover } = await import(module));
  } catch (error) {
    throw new CliError(
      "ERR_NO_PRERENDER_SUPPORT",
      `could not load vinext's path discovery (${module}): ${(error as Error).message}`,
      `vinext needs Node.js ≥ 22 (this is ${process.version}); run the command with Node 22, or list the pages yourself with --routes <file>.`,
    );
  }
  const manifest = await discover({ root, pathDiscoveryTarget: { baseUrl: origin, headers: { [SECRET_HEADER]: build.secret } } });
  if (!manifest) return [];
  const listed = (path: string) => manifest.routePatterns?.[path]?.cacheabilityProbe?.unlisted !== true;
  return [...(manifest.appPaths ?? manifest.paths).filter(listed), ...(manifest.pagesPaths ?? [])];
}

/** A subpath of the vinext package the app at `root` uses, as a file URL (its `exports` allow import only). */
function vinextModule(root: string, subpath: string): string {
  for (let dir = resolve(root); ; dir = dirname(dir)) {
    const pkgPath = join(dir, "node_modules", "vinext", "package.json");
    if (existsSync(pkgPath)) {
      const target = (JSON.parse(readFileSync(pkgPath, "utf8")) as { exports?: Record<string, { import?: string } | string> }).exports?.[
        subpath
      ];
      const file = typeof target === "string" ? target : target?.import;
      if (!file)
        throw new CliError(
          "ERR_NO_PRERENDER_SUPPORT",
          `vinext at ${dirname(pkgPath)} has no ${subpath}`,
          "upgrade the app to vinext 1.4 or later, or pass --routes <file>.",
        );
      return pathToFileURL(join(dirname(pkgPath), file)).href;
    }
    if (dirname(dir) === dir) {
      throw new CliError(
        "ERR_NO_PRERENDER_SUPPORT",
        `vinext is not installed for ${resolve(root)}`,
        "run the command in the vinext app (or pass --root <its directory>) after `npm install`.",
      );
    }
  }
}

function originOf(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed?.protocol === "http:" || parsed?.protocol === "https:") return parsed.origin;
  throw new CliError(
    "ERR_BAD_ARGUMENT",
    `--url ${JSON.stringify(url.slice(0, 200))} is not an http(s) URL`,
    "pass the address of the server running the app's build, e.g. --url http://localhost:4173 (vite preview).",
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function prerenderVinext(options: VinextPrerenderOptions): Promise<VinextPrerenderResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const root = resolve(options.root ?? ".");
  const origin = originOf(options.url);
  const build = readVinextBuild(root);
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const get = async (path: string, headers: Record<string, string>) => {
    try {
      const res = await fetch(`${origin}${path}`, { headers, redirect: "manual" });
      await res.arrayBuffer();
      return res;
    } catch (error) {
      throw new CliError(
        "ERR_SERVER_UNREACHABLE",
        `could not reach ${origin}${path}: ${(error as Error).cause ?? (error as Error).message}`,
        "start the app's build first (`vite preview`, `wrangler dev`) and pass the address it prints.",
      );
    }
  };

  await checkServer(get, origin, root, build);
  const discovered = options.routes || options.fromTraffic ? [] : await discoverPaths(root, origin, build);
  const planned = choosePaths(discovered, options, log);
  if (options.dryRun) {
    log(`dry run: would render ${planned.length} pages of build ${build.buildId} through ${origin}`);
    for (const path of planned) log(`  ${path}`);
    return { buildId: build.buildId, planned, rendered: [], uncached: [], failed: [], seconds: 0, origin };
  }

  const started = performance.now();
  const bar =
    (options.progress ?? process.stdout.isTTY)
      ? new SingleBar({ format: "prerender [{bar}] {value}/{total} pages | {failed} failed", hideCursor: true })
      : undefined;
  bar?.start(planned.length, 0, { failed: 0 });
  const rendered: string[] = [];
  const uncached: string[] = [];
  const failed: VinextPrerenderResult["failed"] = [];
  let done = 0;
  await pool(planned, concurrency, async (path) => {
    try {
      // A plain visitor's request: no cookies, so vinext renders the shared page and stores it.
      const res = await get(path, { accept: "text/html" });
      const state = res.headers.get(CACHE_HEADER);
      if (res.status >= 400) failed.push({ path, reason: `the server answered ${res.status}` });
      else if (!state) uncached.push(path);
      else if (options.verify === false || (await readsBackAsHit(get, path, options.verifyTimeoutMs ?? 10_000))) rendered.push(path);
      else
        failed.push({
          path,
          reason: `not stored: it did not read back as ${CACHE_HEADER}: HIT (is the data cache configured, and is this the build the server runs?)`,
        });
    } catch (error) {
      if (error instanceof CliError) throw error;
      failed.push({ path, reason: (error as Error).message });
    }
    bar?.update(++done, { failed: failed.length });
  });
  bar?.stop();
  return { buildId: build.buildId, planned, rendered, uncached, failed, seconds: (performance.now() - started) / 1000, origin };
}

/**
 * That the server is up and runs this build, without rendering anything: vinext answers its
 * static-params endpoint (204 for a route without params) only to a request carrying the
 * build's prerender secret, and 404 to any other.
 */
async function checkServer(
  get: (path: string, headers: Record<string, string>) => Promise<Response>,
  origin: string,
  root: string,
  build: VinextBuild,
): Promise<void> {
  const res = await get("/__vinext/prerender/static-params?pattern=%2F", { [SECRET_HEADER]: build.secret });
  if (!res.ok) {
    throw new CliError(
      "ERR_NO_PRERENDER_SUPPORT",
      `${origin} did not accept the prerender secret of the build in ${join(root, "dist")} (status ${res.status}): it runs another build, or is not a vinext app`,
      "serve this build (`vite build && vite preview`, or deploy it) and pass its address, or point --root at the app whose build the server runs.",
    );
  }
}

/** Whether the page, HTML and RSC payload, reads back as a HIT within `timeoutMs` (vinext stores it after answering). */
async function readsBackAsHit(
  get: (path: string, headers: Record<string, string>) => Promise<Response>,
  path: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const rsc = `${path}${path.includes("?") ? "&" : "?"}_rsc`;
  for (const [target, headers] of [
    [path, { accept: "text/html" }],
    [rsc, { rsc: "1" }],
  ] as const) {
    for (;;) {
      const state = (await get(target, headers)).headers.get(CACHE_HEADER);
      if (state === "HIT") break;
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
  }
  return true;
}
