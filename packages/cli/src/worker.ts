/**
 * The app's built Worker (the output of `vite build`), run in Miniflare: by
 * `prerender` to render pages, and by the build commands to learn what the
 * Worker serves — its own build id, and whether it reads the build pointer at
 * all — from its prerender manifest. Nothing is persisted when describing.
 */
import { randomUUID } from "node:crypto";
import { dirname, relative } from "node:path";
import type { Miniflare } from "miniflare";
import { findBuiltWorker, type WranglerConfig } from "./config.js";
import { CliError } from "./errors.js";
import { startMiniflare } from "./miniflare.js";
import { readManifest, type WorkerFetch } from "./commands/prerender-steps.js";

export type BuiltWorker = WranglerConfig & { main: string };

/** Requests to a Worker run in Miniflare go to this origin. */
export const WORKER_ORIGIN = "http://prerender.edge-isr.local";

/** Runs a built Worker: its KV namespaces (persisted under `kvPersist`, or in memory), its vars, and `bindings`. */
export async function runBuiltWorker(worker: BuiltWorker, opts: { kvNamespaces: Record<string, string>; kvPersist: string | false; bindings: Record<string, string> }): Promise<Miniflare> {
  try {
    const mf = startMiniflare({
      modules: true,
      modulesRules: [{ type: "ESModule", include: ["**/*.js", "**/*.mjs"] }],
      modulesRoot: dirname(worker.main),
      scriptPath: worker.main,
      compatibilityDate: worker.compatibility_date ?? "2026-04-01",
      compatibilityFlags: worker.compatibility_flags ?? [],
      kvNamespaces: opts.kvNamespaces,
      kvPersist: opts.kvPersist,
      bindings: {
        ...Object.fromEntries(Object.entries(worker.vars ?? {}).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
        ...opts.bindings,
      },
    });
    await mf.ready;
    return mf;
  } catch (error) {
    throw new CliError("ERR_WORKER_START", `the built Worker ${worker.main} did not start: ${(error as Error).message}`, "run it with `vite preview` to see the error, fix it, and build again.");
  }
}

/** A request function for a Worker run in Miniflare (its Response is undici's; callers use only the standard part). */
export const sendTo = (mf: Miniflare): WorkerFetch => (path, headers) => mf.dispatchFetch(`${WORKER_ORIGIN}${path}`, { headers }) as unknown as Promise<Response>;

/** What the built Worker serves, or why that is unknown. */
export type WorkerView =
  | { known: true; /** the built wrangler.json, relative to the current directory */ path: string; buildId: string; buildPointer: boolean }
  | { known: false; why: string };

/** "the built Worker (dist/app/wrangler.json, build b1)". */
export const describeView = (view: Extract<WorkerView, { known: true }>) => `the built Worker (${view.path}, build ${view.buildId})`;

/**
 * Asks the built Worker (`--worker`, else dist/<name>/wrangler.json) for its
 * manifest, with its KV namespaces in memory: nothing on disk is read or written.
 */
export async function describeWorker(explicit?: string): Promise<WorkerView> {
  let worker: BuiltWorker;
  try {
    worker = findBuiltWorker(explicit);
  } catch (error) {
    if (explicit || !(error instanceof CliError)) throw error;
    return { known: false, why: `found no built Worker in ${process.cwd()} (${error.message})` };
  }
  const token = randomUUID();
  const namespaces = Object.fromEntries((worker.kv_namespaces ?? []).map((ns) => [ns.binding, ns.id ?? ns.preview_id ?? ns.binding]));
  const mf = await runBuiltWorker(worker, { kvNamespaces: namespaces, kvPersist: false, bindings: { EDGE_ISR_PRERENDER_TOKEN: token } });
  const path = relative(process.cwd(), worker.path) || worker.path;
  try {
    const manifest = await readManifest(sendTo(mf), token, `the built Worker ${path}`);
    if (typeof manifest.buildPointer !== "boolean") {
      return { known: false, why: `the built Worker ${path} runs an @edge-isr/runtime too old to say whether it reads the build pointer` };
    }
    return { known: true, path, buildId: manifest.buildId, buildPointer: manifest.buildPointer };
  } finally {
    await mf.dispose();
  }
}
