/**
 * The vinext app (apps/vinext) as its users run it: built with Node 22 (vinext's
 * requirement, installed from the npm registry by scripts/node22.mjs when this
 * machine's Node is older), served by `vite preview` (the built Worker in
 * workerd on Miniflare's KV) on a free port with its own KV state directory.
 */
import { spawnSync } from "node:child_process";
import { node22 } from "../../scripts/node22.mjs";
import { freePort, startServer } from "../helpers/server-process.js";

export const APP = new URL("../../apps/vinext/", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const VITE = `${ROOT}node_modules/vite/bin/vite.js`;
export const CLI = `${ROOT}packages/cli/bin/edge-isr.js`;

/** Both builds the tests make share this id (next.config's generateBuildId), so one can serve the other's pages. */
export const BUILD_ID = "edge-isr-vinext-test";
let built: string | undefined;

/**
 * `vite build` in apps/vinext with Node 22, with one of its Vite configs: vite.config.ts
 * (edge-isr's adapter), vite.config.vinext-kv.ts (@vinext/cloudflare's kvDataAdapter), or
 * one a test writes. Skipped when this process last built the same one. Throws with the
 * build's output when it fails.
 */
export function buildApp(configFile = "vite.config.ts"): void {
  if (built === configFile) return;
  const { node, env } = node22();
  const run = spawnSync(node, [VITE, "build", "--config", configFile], {
    cwd: APP,
    env: { ...env, NO_COLOR: "1", VINEXT_APP_BUILD_ID: BUILD_ID },
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`vite build of apps/vinext (${configFile}) failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  built = configFile;
}

/** The `edge-isr` command, run with Node 22 in apps/vinext. */
export function edgeIsr(args: string[]): { status: number | null; output: string } {
  const { node, env } = node22();
  const run = spawnSync(node, [CLI, ...args], { cwd: APP, env: { ...env, NO_COLOR: "1" }, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

export interface Preview {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** `vite preview` of the last build, keeping its KV state in `state` (when its config reads VINEXT_APP_PERSIST_TO); resolves once it listens. */
export async function startPreview(state: string): Promise<Preview> {
  const { node, env } = node22();
  const port = await freePort();
  const server = await startServer(
    node,
    [VITE, "preview", "--config", built ?? "vite.config.ts", "--port", String(port), "--strictPort", "--host", "127.0.0.1"],
    {
      cwd: APP,
      env: { ...env, NO_COLOR: "1", VINEXT_APP_PERSIST_TO: state },
      ready: (log) => (log.includes(`:${port}/`) ? `http://127.0.0.1:${port}` : undefined),
    },
  );
  return { url: server.ready, output: server.output, stop: server.stop };
}

export interface Visit {
  status: number;
  /** vinext's `X-Vinext-Cache`: HIT, STALE, MISS, or undefined when not cached. */
  cache: string | undefined;
  contentType: string | undefined;
  /** The page's render stamp (`data-render` time and its random id): changes with every render. */
  render: string | undefined;
  /** The post's data stamp (`data-fetch`): changes when unstable_cache's entry is refetched. */
  fetch: string | undefined;
  location: string | undefined;
  body: string;
}

/** One request as a browser or client router sends it: HTML, or the RSC payload (`RSC: 1`, `?_rsc`). */
export async function visit(base: string, path: string, options: { rsc?: boolean; rscParam?: string } = {}): Promise<Visit> {
  const url = options.rsc ? `${base}${path}?_rsc${options.rscParam ? `=${options.rscParam}` : ""}` : `${base}${path}`;
  const res = await fetch(url, { headers: options.rsc ? { rsc: "1" } : { accept: "text/html" }, redirect: "manual" });
  const body = await res.text();
  // HTML has data-render="id">time</time> … (uuid); the RSC payload has the same values as JSON.
  const render =
    /data-render="[^"]+">([^<]+)<\/time> \(<!-- -->([0-9a-f-]{36})/.exec(body) ??
    /"data-render":"[^"]+","children":"([^"]+)"[\s\S]*?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(body);
  const fetched = /data-fetch="([^"]+)"/.exec(body) ?? /"data-fetch":"([^"]+)"/.exec(body);
  return {
    status: res.status,
    cache: res.headers.get("x-vinext-cache") ?? undefined,
    contentType: res.headers.get("content-type") ?? undefined,
    render: render ? `${render[1]} ${render[2]}` : undefined,
    fetch: fetched?.[1],
    location: res.headers.get("location") ?? undefined,
    body,
  };
}

/** Requests `path` until `done` holds (a state change that happens in the background), or fails with the last answer. */
export async function until(base: string, path: string, done: (v: Visit) => boolean, what: string, timeoutMs = 15_000): Promise<Visit> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await visit(base, path);
    if (done(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`${path}: still not ${what} after ${timeoutMs} ms (last: ${v.status} ${v.cache} ${v.render})`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
