/**
 * The app's built Worker (the output of `vite build`), run in Miniflare: by
 * `prerender` to render pages, and by the build commands to learn what the
 * Worker serves — its own build id, and whether it reads the build pointer at
 * all — from its prerender manifest. Nothing is persisted when describing.
 */
import { randomUUID } from "node:crypto";
import { dirname, relative } from "node:path";
import { findBuiltWorker, localNamespaceId, type WranglerConfig } from "./config.js";
import { CliError } from "./errors.js";
import { type MiniflareLike, startMiniflare } from "./miniflare.js";
import { readManifest, type WorkerFetch } from "./commands/prerender-steps.js";
import { builtModules } from "./worker-modules.js";

export type BuiltWorker = WranglerConfig & { main: string };

/** Requests to a Worker run in Miniflare go to this origin. */
export const WORKER_ORIGIN = "http://prerender.edge-isr.local";

/**
 * The Durable Objects a built Worker binds whose class is in its own script (the coordinator
 * among them), SQLite-backed when a migration made them so; bindings to other Workers' classes
 * cannot run here and are left out.
 */
function ownDurableObjects(worker: BuiltWorker): Record<string, { className: string; useSQLite: boolean }> {
  const sqlite = new Set((worker.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []));
  const own = (worker.durable_objects?.bindings ?? []).filter((b) => !b.script_name || b.script_name === worker.name);
  return Object.fromEntries(own.map((b) => [b.name, { className: b.class_name, useSQLite: sqlite.has(b.class_name) }]));
}

/**
 * Runs a built Worker on the project's Miniflare: its modules, vars, Durable Objects, KV
 * namespaces (persisted in `persistTo`'s state, or in memory) and `bindings`.
 */
export async function runBuiltWorker(
  worker: BuiltWorker,
  opts: { kvNamespaces: Record<string, string>; persistTo: string | false; bindings: Record<string, string> },
): Promise<MiniflareLike> {
  try {
    return await startMiniflare({
      ...(worker.name ? { name: worker.name } : {}),
      source: { modules: builtModules(worker.main, worker.rules), modulesRoot: dirname(worker.main) },
      compatibilityDate: worker.compatibility_date ?? "2026-04-01",
      compatibilityFlags: worker.compatibility_flags ?? [],
      kvNamespaces: opts.kvNamespaces,
      durableObjects: ownDurableObjects(worker),
      persistTo: opts.persistTo,
      bindings: { ...worker.vars, ...opts.bindings }, // JSON vars stay JSON, as vite preview binds them
    });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      "ERR_WORKER_START",
      `the built Worker ${worker.main} did not start: ${(error as Error).message}`,
      "run `vite build` again; if it still fails, run `vite preview`: when it fails there too, the error is in the Worker; when it serves, report this with the message above.",
    );
  }
}

/** Every KV namespace a built Worker binds, binding → the id its local state uses. */
export const builtNamespaces = (worker: BuiltWorker) =>
  Object.fromEntries((worker.kv_namespaces ?? []).map((ns) => [ns.binding, localNamespaceId(ns)]));

/** A request function for a Worker run in Miniflare (its Response is undici's; callers use only the standard part). */
export const sendTo =
  (mf: MiniflareLike): WorkerFetch =>
  (path, headers) =>
    mf.dispatchFetch(`${WORKER_ORIGIN}${path}`, { headers });

/** What the built Worker serves, or why that is unknown. */
export type WorkerView =
  | { known: true /** the built wrangler.json, relative to the current directory */; path: string; buildId: string; buildPointer: boolean }
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
  const mf = await runBuiltWorker(worker, {
    kvNamespaces: builtNamespaces(worker),
    persistTo: false,
    bindings: { EDGE_ISR_PRERENDER_TOKEN: token },
  });
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
