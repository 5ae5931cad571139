/**
 * The steps every prerender shares, whatever runs the Worker (Miniflare for a
 * build, or a running server with `--url`): ask it for the manifest, choose the
 * paths, render them with the prerender token, count what was stored.
 */
import { SingleBar } from "cli-progress";
import { PRERENDER_HEADER, PRERENDER_MANIFEST_PATH } from "@edge-isr/runtime";
import { CliError } from "../errors.js";
import { pool } from "../pool.js";
import { coverPaths, readRoutes, readTraffic } from "../traffic.js";

/** Sends one request to the Worker being prerendered: a path and headers in, a Response out. */
export type WorkerFetch = (path: string, headers: Record<string, string>) => Promise<Response>;

export interface PathChoice {
  routes?: string;
  fromTraffic?: string;
  coverage?: number;
}

/** The Worker's build id and its prerender manifest; a clear error when it does not speak the protocol. */
export async function readManifest(send: WorkerFetch, token: string, where: string): Promise<{ buildId: string; paths: string[] }> {
  const res = await send(PRERENDER_MANIFEST_PATH, { [PRERENDER_HEADER]: token });
  const manifest = res.headers.get("content-type")?.includes("json") ? ((await res.json()) as { buildId?: string; paths?: string[] }) : undefined;
  if (!manifest?.buildId || !Array.isArray(manifest.paths)) {
    await res.body?.cancel();
    throw new CliError(
      "ERR_NO_PRERENDER_SUPPORT",
      `${where} did not answer ${PRERENDER_MANIFEST_PATH} (status ${res.status})`,
      "serve your pages with createISR() from @edge-isr/runtime (it answers the manifest to `edge-isr prerender` only) and give the Worker the same EDGE_ISR_PRERENDER_TOKEN as the command.",
    );
  }
  return { buildId: manifest.buildId, paths: manifest.paths };
}

/** The paths to render: the manifest's, or --routes, or the fewest covering --coverage of --from-traffic. */
export function choosePaths(manifestPaths: string[], choice: PathChoice, log: (line: string) => void): string[] {
  let planned = choice.routes ? readRoutes(choice.routes) : manifestPaths;
  if (choice.fromTraffic) {
    const { paths, covered, total } = coverPaths(readTraffic(choice.fromTraffic), choice.coverage ?? 0.9);
    planned = paths;
    log(`traffic: ${paths.length} paths cover ${((covered / Math.max(1, total)) * 100).toFixed(1)}% of ${total} requests`);
  }
  return [...new Set(planned)];
}

/** Renders each path with the token (the Worker answers once the entry is stored); returns the stored keys and failures. */
export async function renderPaths(send: WorkerFetch, token: string, paths: string[], concurrency: number, progress: boolean | undefined) {
  const started = performance.now();
  const bar = progress ?? process.stdout.isTTY ? new SingleBar({ format: "prerender [{bar}] {value}/{total} pages | {rate} pages/s | {failed} failed", hideCursor: true }) : undefined;
  bar?.start(paths.length, 0, { rate: "0", failed: 0 });
  const failed: { path: string; reason: string }[] = [];
  const stored: { path: string; key: string }[] = [];
  let done = 0;
  await pool(paths, concurrency, async (path) => {
    try {
      const res = await send(path, { [PRERENDER_HEADER]: token, accept: "text/html" });
      await res.arrayBuffer();
      const key = res.headers.get("x-edge-isr-key");
      if (res.status >= 400) failed.push({ path, reason: `the Worker answered ${res.status}` });
      else if (!key) failed.push({ path, reason: `not stored (${res.headers.get("x-edge-isr-bypass") ?? res.headers.get("x-edge-isr-cache") ?? "no ISR route"})` });
      else stored.push({ path, key });
    } catch (error) {
      failed.push({ path, reason: (error as Error).message });
    }
    done++;
    bar?.update(done, { rate: (done / ((performance.now() - started) / 1000)).toFixed(0), failed: failed.length });
  });
  bar?.stop();
  return { stored, failed };
}
