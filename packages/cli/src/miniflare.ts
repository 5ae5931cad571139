/**
 * Every Miniflare the CLI starts, on the user's own Miniflare (toolchain.ts):
 * one description of the Worker, turned into the options of the Miniflare
 * major found (4 as is; 5 through its `convertV4MiniflareOptions`), with the
 * local state where `vite preview` and `wrangler dev` keep it.
 *
 * Miniflare installs SIGINT/SIGTERM handlers that stop workerd and exit at
 * once; the CLI handles Ctrl-C itself (see interrupt.ts) so a command can
 * finish what is under way and say what it did, so those two are removed.
 * Miniflare's "exit" hook stays: workerd never outlives the command.
 */
import { join, resolve } from "node:path";
import { CliError } from "./errors.js";
import { describeToolchain, foundWhere, loadedToolchain, loadMiniflare, type Toolchain } from "./toolchain.js";

/** A module of the Worker: its absolute path and Miniflare's module type. */
export interface WorkerModule {
  type: "ESModule" | "CommonJS" | "CompiledWasm" | "Text" | "Data";
  path: string;
}

/** A Worker for Miniflare, in the CLI's words; `startMiniflare` turns it into options. */
export interface WorkerSpec {
  /** The Worker's name: Durable Object storage is kept per Worker name and class, as vite preview keeps it. */
  name?: string;
  /** Its modules, the main one first, named relative to `modulesRoot`; or an inline ES module. */
  source: { modules: WorkerModule[]; modulesRoot: string } | { script: string };
  compatibilityDate: string;
  compatibilityFlags?: string[];
  /** Binding → namespace id. */
  kvNamespaces: Record<string, string>;
  /** Binding → a class the Worker's own script exports. */
  durableObjects?: Record<string, { className: string; useSQLite: boolean }>;
  /** Plain bindings: vars (text or JSON) and tokens. */
  bindings?: Record<string, unknown>;
  /** The local state directory (`.wrangler/state`), or false for in-memory storage. */
  persistTo: string | false;
}

/** The part of a Miniflare instance the CLI uses; the same in Miniflare 4 and 5. */
export interface MiniflareLike {
  readonly ready: Promise<URL>;
  dispatchFetch(url: string, init?: { headers?: Record<string, string> }): Promise<Response>;
  getKVNamespace(binding: string): Promise<KVBinding>;
  dispose(): Promise<void>;
}

/** The KV binding Miniflare hands out (workers-types' KVNamespace, the part the CLI uses). */
export interface KVBinding {
  getWithMetadata(key: string, type: "arrayBuffer"): Promise<{ value: ArrayBuffer | null; metadata: unknown }>;
  put(key: string, value: Uint8Array | ArrayBuffer | string, options?: { metadata?: unknown; expiration?: number }): Promise<void>;
  delete(key: string): Promise<void>;
  list(options: {
    prefix?: string;
    cursor?: string;
  }): Promise<{ keys: { name: string; expiration?: number; metadata?: unknown }[]; list_complete: boolean; cursor?: string }>;
}

/** Miniflare 4's options for `spec` (what Miniflare 5 converts from). */
function v4Options(spec: WorkerSpec, major: number): Record<string, unknown> {
  const state = spec.persistTo === false ? undefined : join(resolve(spec.persistTo), "v3");
  return {
    ...(spec.name ? { name: spec.name } : {}),
    ...("script" in spec.source
      ? { modules: true, script: spec.source.script }
      : { modules: spec.source.modules, modulesRoot: spec.source.modulesRoot }),
    compatibilityDate: spec.compatibilityDate,
    compatibilityFlags: spec.compatibilityFlags ?? [],
    kvNamespaces: spec.kvNamespaces,
    ...(spec.durableObjects ? { durableObjects: spec.durableObjects } : {}),
    bindings: spec.bindings ?? {},
    // Miniflare 4 persists per kind of storage; 5 has one root for all, as vite preview passes it.
    ...(major === 4
      ? { kvPersist: state ? join(state, "kv") : false, durableObjectsPersist: state ? join(state, "do") : false }
      : { ...(state ? { resourcePersistencePath: state } : {}), unsafeRegisterWorker: false, logRequests: false }),
  };
}

/**
 * Starts `spec` on the toolchain's Miniflare and waits until it runs. When it
 * does not start, it is disposed before the error is thrown: nothing is left
 * running to keep the process alive.
 */
export async function startMiniflare(spec: WorkerSpec): Promise<MiniflareLike> {
  const { module, toolchain } = await loadMiniflare();
  const options = v4Options(spec, toolchain.miniflare.major);
  const before = { SIGINT: process.listeners("SIGINT"), SIGTERM: process.listeners("SIGTERM") };
  let mf: MiniflareLike | undefined;
  try {
    mf = new module.Miniflare(module.convertV4MiniflareOptions ? module.convertV4MiniflareOptions(options) : options) as MiniflareLike;
    await mf.ready;
    return mf;
  } catch (error) {
    await mf?.dispose().catch(() => {});
    throw toolchainError(error, spec.compatibilityDate, toolchain) ?? error;
  } finally {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      for (const listener of process.listeners(signal)) if (!before[signal].includes(listener)) process.removeListener(signal, listener);
    }
  }
}

/** Miniflare's and workerd's way of saying a compatibility date is too new for them. */
const TOO_NEW_DATE =
  /requires compatibility date "([^"]+)", but the newest date supported by this server binary is "([^"]+)"|Compatibility date "([^"]+)" is in the future/;

/**
 * The coded error for a Worker the toolchain cannot run because they disagree
 * on dates, naming both versions; undefined for any other error.
 */
export function toolchainError(error: unknown, compatibilityDate: string, toolchain?: Toolchain): CliError | undefined {
  const match = TOO_NEW_DATE.exec(String((error as Error)?.message ?? error));
  if (!match) return undefined;
  const newest = match[2] ? ` (its newest is ${match[2]})` : "";
  return new CliError(
    "ERR_COMPATIBILITY_DATE",
    `the Worker's compatibility_date ${match[1] ?? match[3] ?? compatibilityDate} is newer than your project's ${toolchain ? describeToolchain(toolchain) : "Miniflare"} supports${newest}`,
    "edge-isr runs your Worker on the Miniflare of your own @cloudflare/vite-plugin or wrangler: update them (`npm install -D @cloudflare/vite-plugin@latest wrangler@latest`), or set an older compatibility_date in your wrangler config, then build again.",
  );
}

/**
 * workerd failing under a command that had started it — typically local state
 * that another workerd migrated (a newer `vite preview` or `wrangler dev` than
 * the Miniflare found): a coded error naming the version the CLI ran.
 */
export function runtimeError(error: unknown): CliError | undefined {
  if ((error as { code?: unknown })?.code !== "ERR_RUNTIME_FAILURE") return undefined;
  const toolchain = loadedToolchain();
  const ran = toolchain ? describeToolchain(toolchain) : "your project's Miniflare";
  return new CliError(
    "ERR_LOCAL_STATE",
    `workerd stopped while edge-isr used it (${ran}${toolchain ? `, found ${foundWhere(toolchain)}` : ""}): ${(error as Error).message.split("\n")[0]}`,
    "if the lines above say SQLite failed, this workerd cannot read the local state (.wrangler/state): another workerd migrated it — run vite preview, wrangler dev and edge-isr from the app's own node_modules, one @cloudflare/vite-plugin / wrangler version — or it is damaged: delete .wrangler/state and prerender again.",
  );
}
