/**
 * The steps every prerender shares, whatever runs the Worker (Miniflare for a
 * build, or a running server with `--url`): ask it for the manifest, choose the
 * paths, render them with the prerender token, count what was stored.
 */
import { PRERENDER_HEADER, PRERENDER_MANIFEST_PATH } from "@edge-isr/runtime";
import { CliError } from "../errors.js";
import { pool } from "../pool.js";
import { stoppedBy } from "../interrupt.js";
import { progress } from "../progress.js";
import { coverPaths, readRoutes, readTraffic } from "../traffic.js";

/** Sends one request to the Worker being prerendered: a path and headers in, a Response out. */
export type WorkerFetch = (path: string, headers: Record<string, string>) => Promise<Response>;

export interface PathChoice {
  routes?: string;
  fromTraffic?: string;
  coverage?: number;
}

/** What the Worker's prerender manifest says. */
export interface Manifest {
  /** The Worker's own build: what a prerender stores. */
  buildId: string;
  paths: string[];
  /** Whether the Worker serves the build the pointer names (absent from runtimes before it said so). */
  buildPointer?: boolean;
}

/** The Worker's build id and its prerender manifest; a clear error when it does not speak the protocol. */
export async function readManifest(send: WorkerFetch, token: string, where: string): Promise<Manifest> {
  const res = await send(PRERENDER_MANIFEST_PATH, { [PRERENDER_HEADER]: token });
  const manifest = res.headers.get("content-type")?.includes("json") ? ((await res.json()) as Partial<Manifest>) : undefined;
  if (!manifest?.buildId || !Array.isArray(manifest.paths)) {
    await res.body?.cancel();
    throw new CliError(
      "ERR_NO_PRERENDER_SUPPORT",
      `${where} did not answer ${PRERENDER_MANIFEST_PATH} (status ${res.status})`,
      "serve your pages with createISR() from @edge-isr/runtime (it answers the manifest to `edge-isr prerender` only) and give the Worker the same EDGE_ISR_PRERENDER_TOKEN as the command.",
    );
  }
  return {
    buildId: manifest.buildId,
    paths: manifest.paths,
    ...(typeof manifest.buildPointer === "boolean" ? { buildPointer: manifest.buildPointer } : {}),
  };
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

/** Statuses a page is "not found" with: reported as such, never kept by prerender (one rule, see the README). */
export const NOT_FOUND_STATUS: readonly number[] = [404, 410];

export interface Rendered {
  stored: { path: string; key: string }[];
  /** 404/410 pages: not found. The Worker stored them as it stores any 404; the caller removes them where it can. */
  notFound: { path: string; status: number; key: string | undefined }[];
  failed: { path: string; reason: string }[];
  /** Paths not rendered because `signal` aborted. */
  notRendered: string[];
}

/** Renders each path with the token (the Worker answers once the entry is stored). Once `signal` aborts, no new render starts. */
export async function renderPaths(
  send: WorkerFetch,
  token: string,
  paths: string[],
  concurrency: number,
  showProgress: boolean | undefined,
  signal?: AbortSignal,
): Promise<Rendered> {
  const bar = progress(paths.length, "prerender", "pages", showProgress);
  const out: Rendered = { stored: [], notFound: [], failed: [], notRendered: [] };
  const started = new Set<string>();
  /** Requests that threw (no answer at all): failures, unless Ctrl-C ended the Worker. */
  const thrown: { path: string; reason: string }[] = [];
  let done = 0;
  await pool(
    paths,
    concurrency,
    async (path) => {
      started.add(path);
      try {
        const res = await send(path, { [PRERENDER_HEADER]: token, accept: "text/html" });
        await res.arrayBuffer();
        const key = res.headers.get("x-edge-isr-key");
        if (NOT_FOUND_STATUS.includes(res.status)) out.notFound.push({ path, status: res.status, key: key ?? undefined });
        else if (res.status >= 400) out.failed.push({ path, reason: `the Worker answered ${res.status}` });
        else if (!key)
          out.failed.push({
            path,
            reason: `not stored (${res.headers.get("x-edge-isr-bypass") ?? res.headers.get("x-edge-isr-cache") ?? "no ISR route"})`,
          });
        else out.stored.push({ path, key });
      } catch (error) {
        thrown.push({ path, reason: (error as Error).message });
      }
      bar.update(++done);
    },
    signal,
  );
  bar.stop();
  // After Ctrl-C the Worker may be gone (a terminal's Ctrl-C also ends workerd): not rendered, not failed.
  if (thrown.length && (await stoppedBy(signal))) out.notRendered.push(...thrown.map((t) => t.path));
  else out.failed.push(...thrown);
  out.notRendered.push(...paths.filter((path) => !started.has(path)));
  return out;
}
