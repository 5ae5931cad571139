/**
 * `edge-isr prerender --url <origin>`: prerender through a Worker that is
 * already running (`vite dev`, `wrangler dev`, a staging deployment) instead of
 * a build run in Miniflare. The server's own Worker stores each page in its own
 * KV; the command then reads each page back over HTTP and expects a HIT.
 * The token comes from EDGE_ISR_PRERENDER_TOKEN (never a flag: flags end up in
 * shell history and process lists), and the server's Worker must have the same.
 */
import { CliError } from "../errors.js";
import { httpUrl } from "../http-url.js";
import { pool } from "../pool.js";
import { choosePaths, type PathChoice, readManifest, renderPaths, type WorkerFetch } from "./prerender-steps.js";

export interface PrerenderUrlOptions extends PathChoice {
  url: string;
  token: string | undefined;
  concurrency?: number;
  verify?: boolean;
  dryRun?: boolean;
  log?: (line: string) => void;
  progress?: boolean;
  signal?: AbortSignal;
}

export interface PrerenderUrlResult {
  buildId: string;
  planned: string[];
  rendered: number;
  /** 404/410 pages: reported as not found (the server's Worker keeps what its own rules keep). */
  notFound: { path: string; status: number }[];
  failed: { path: string; reason: string }[];
  notRendered: string[];
  servedBytes: number;
  seconds: number;
  origin: string;
}

export async function prerenderUrl(options: PrerenderUrlOptions): Promise<PrerenderUrlResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const origin = httpUrl("--url", options.url, "pass the running server's address, e.g. --url http://localhost:5173.").origin;
  if (!options.token) {
    throw new CliError(
      "ERR_MISSING_TOKEN",
      "--url needs the prerender token in EDGE_ISR_PRERENDER_TOKEN",
      "give the running Worker a secret EDGE_ISR_PRERENDER_TOKEN (a var in .dev.vars for vite dev, `wrangler secret put` when deployed) and export the same value before running the command.",
    );
  }
  const token = options.token;
  const send: WorkerFetch = async (path, headers) => {
    try {
      return await fetch(`${origin}${path}`, { headers, redirect: "manual" });
    } catch (error) {
      throw new CliError(
        "ERR_SERVER_UNREACHABLE",
        `could not reach ${origin}${path}: ${(error as Error).cause ?? (error as Error).message}`,
        "start the server first (vite dev, wrangler dev) and pass the address it prints.",
      );
    }
  };
  const { buildId, paths } = await readManifest(send, token, origin);
  const planned = choosePaths(paths, options, log);
  if (options.dryRun) {
    log(`dry run: would render ${planned.length} pages of build ${buildId} through ${origin}`);
    for (const path of planned) log(`  ${path}`);
    return { buildId, planned, rendered: 0, notFound: [], failed: [], notRendered: [], servedBytes: 0, seconds: 0, origin };
  }
  const started = performance.now();
  const { stored, failed, notFound, notRendered } = await renderPaths(
    send,
    token,
    planned,
    Math.max(1, options.concurrency ?? 8),
    options.progress,
    options.signal,
  );

  // Read each page back as a visitor would: it must now be served from the cache.
  let rendered = 0;
  let servedBytes = 0;
  await pool(stored, Math.max(1, options.concurrency ?? 8), async ({ path }) => {
    if (options.verify === false) return void rendered++;
    try {
      const res = await send(path, { accept: "text/html" });
      const body = await res.arrayBuffer();
      const state = res.headers.get("x-edge-isr-cache");
      if (state !== "HIT" && state !== "STALE")
        return void failed.push({
          path,
          reason: `verification failed: read back as ${state ?? `a response without x-edge-isr-cache (status ${res.status})`}`,
        });
      rendered++;
      servedBytes += body.byteLength;
    } catch (error) {
      failed.push({ path, reason: `verification failed: ${(error as Error).message}` });
    }
  });
  return {
    buildId,
    planned,
    rendered,
    notFound: notFound.map(({ path, status }) => ({ path, status })),
    failed,
    notRendered,
    servedBytes,
    seconds: (performance.now() - started) / 1000,
    origin,
  };
}
