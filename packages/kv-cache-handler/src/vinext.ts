/**
 * `@edge-isr/kv-cache-handler/vinext`: KVCacheHandler in vinext's declarative
 * data-cache slot. vinext (≥ 1.4) imports this module's default export into the
 * Worker and calls it with `{ env, options }` on the first request; the KV
 * binding is looked up when the cache is first used.
 *
 * @example
 * // vite.config.ts — one import line differs from @vinext/cloudflare's kvDataAdapter
 * import { kvDataAdapter } from "@edge-isr/kv-cache-handler/vinext";
 * export default defineConfig({
 *   plugins: [vinext({ cache: { data: kvDataAdapter() } }), cloudflare({ viteEnvironment: { name: "rsc", childEnvironments: ["ssr"] } })],
 * });
 */
// The main entry, not its modules: the build keeps it a separate file (dist/index.js), so this
// subpath and the package share one KVCacheHandler and one error class.
import {
  type CacheHandler,
  type CacheHandlerValue,
  EdgeIsrCacheError,
  type GetContext,
  type IncrementalCacheValue,
  KVCacheHandler,
  type KVCacheHandlerOptions,
  type KVNamespaceLike,
  type SetContext,
} from "./index.js";

/** The module vinext imports (the `adapter` of the `cache.data` slot). */
export const VINEXT_ADAPTER_MODULE = "@edge-isr/kv-cache-handler/vinext";
/** The binding read when `binding` is not given: the same as @vinext/cloudflare's `kvDataAdapter()`. */
export const DEFAULT_VINEXT_BINDING = "VINEXT_KV_CACHE";

/** `{ binding: "NAME" }` in place of an option's value: replaced by `env.NAME` when the cache is first used. */
export interface BindingRef {
  binding: string;
}

/** KVCacheHandler's options that survive JSON (vinext inlines `options` into the Worker as JSON). */
type JsonHandlerOptions = Omit<KVCacheHandlerOptions, "ctx" | "now" | "sleep" | "onError" | "logger">;

/**
 * Options of the vinext adapter. `binding`, `appPrefix` and `ttlSeconds` mean
 * what they mean for `kvDataAdapter()`; `cacheTtl` is KV's edge read TTL; every
 * other KVCacheHandler option passes through. An option that takes a binding
 * (such as a coordinator Durable Object) is given as `{ binding: "NAME" }`.
 */
export type VinextDataCacheOptions = { [K in keyof JsonHandlerOptions]?: JsonHandlerOptions[K] | BindingRef } & {
  /** The KV namespace binding on the Worker's env. Default `"VINEXT_KV_CACHE"`, as `kvDataAdapter()`. */
  binding?: string;
  /**
   * Accepted so a `kvDataAdapter({ tagCacheTtlMs })` config moves over unchanged, and ignored:
   * edge-isr reads no tag keys on a hit (the tag state is in each entry's metadata).
   */
  tagCacheTtlMs?: number;
};

/** What vinext passes to the default export. */
export interface VinextAdapterArgs {
  env: Record<string, unknown> | undefined;
  options?: VinextDataCacheOptions | undefined;
}

/**
 * The `cache.data` descriptor for `vinext()`: this module plus options, checked
 * now so a bad option fails `vite build` rather than the first request.
 */
export function kvDataAdapter(options: VinextDataCacheOptions = {}): { adapter: string; options: VinextDataCacheOptions } {
  const { binding, handlerOptions } = splitOptions(options);
  if (!isJson(options)) {
    throw new EdgeIsrCacheError(
      "ERR_OPTION_INVALID",
      'vinext data cache options must be JSON (numbers, strings, { binding: "NAME" }): vinext inlines them into the Worker; pass functions to new KVCacheHandler() instead',
    );
  }
  // The handler's own checks (timeouts, cacheTtl ≥ 30, prefix length), on a stand-in binding.
  new KVCacheHandler(CONFIG_TIME_KV, withoutRefs(handlerOptions));
  return { adapter: VINEXT_ADAPTER_MODULE, options: { ...options, binding } };
}

/**
 * The data cache vinext calls: `get`, `set`, `revalidateTag`, `resetRequestCache`,
 * each forwarded to a KVCacheHandler built on first use from `env[binding]`.
 * A missing binding is reported once (`ERR_OPTION_INVALID`, saying what to add
 * to the wrangler config) and every call is then a miss: pages still render.
 */
export class VinextDataCache implements CacheHandler {
  private handler: KVCacheHandler | null | undefined;
  private readonly binding: string;
  private readonly handlerOptions: Record<string, unknown>;

  constructor(
    private readonly env: Record<string, unknown> | undefined,
    options: VinextDataCacheOptions = {},
  ) {
    const split = splitOptions(options);
    this.binding = split.binding;
    this.handlerOptions = split.handlerOptions;
  }

  async get(key: string, ctx?: GetContext): Promise<CacheHandlerValue | null> {
    return (await this.resolve()?.get(key, ctx)) ?? null;
  }

  async set(key: string, data: IncrementalCacheValue | null, ctx?: SetContext): Promise<void> {
    await this.resolve()?.set(key, data, ctx);
  }

  async revalidateTag(tags: string | string[], durations?: { expire?: number }): Promise<void> {
    await this.resolve()?.revalidateTag(tags, durations);
  }

  resetRequestCache(): void {
    this.handler?.resetRequestCache();
  }

  /** The KVCacheHandler, built on first use; `null` (reported once) when the binding is missing or an option is invalid. */
  private resolve(): KVCacheHandler | null {
    if (this.handler !== undefined) return this.handler;
    try {
      const kv = this.env?.[this.binding];
      if (!isKV(kv)) {
        throw new EdgeIsrCacheError(
          "ERR_OPTION_INVALID",
          `vinext data cache: env.${this.binding} is not a KV namespace binding, so every page is rendered uncached. Add "kv_namespaces": [{ "binding": "${this.binding}", "id": "<namespace id>" }] to wrangler.jsonc, or set the adapter's binding option to the name you bound`,
        );
      }
      // `binding` also names the namespace to the coordinator (it writes the clock there), when there is one.
      this.handler = new KVCacheHandler(kv, { ...resolveRefs(this.handlerOptions, this.env ?? {}), binding: this.binding });
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error));
      this.handler = null;
    }
    return this.handler;
  }
}

/**
 * The factory vinext calls with `{ env, options }`. Only checks `binding` here:
 * the binding itself is looked up when the cache is first used.
 */
export default function createVinextDataCache({ env, options }: VinextAdapterArgs): VinextDataCache {
  return new VinextDataCache(env, options ?? {});
}

function splitOptions(options: VinextDataCacheOptions): { binding: string; handlerOptions: Record<string, unknown> } {
  if (options === null || typeof options !== "object") {
    throw new EdgeIsrCacheError(
      "ERR_OPTION_INVALID",
      `vinext data cache options must be an object, got ${options === null ? "null" : typeof options}`,
    );
  }
  const { binding = DEFAULT_VINEXT_BINDING, tagCacheTtlMs: _ignored, ...handlerOptions } = options;
  if (typeof binding !== "string" || !binding) {
    throw new EdgeIsrCacheError(
      "ERR_OPTION_INVALID",
      `vinext data cache option binding must be the name of a KV binding, e.g. "${DEFAULT_VINEXT_BINDING}"; got ${JSON.stringify(binding)}`,
    );
  }
  return { binding, handlerOptions };
}

const isBindingRef = (value: unknown): value is BindingRef =>
  typeof value === "object" && value !== null && Object.keys(value).length === 1 && typeof (value as BindingRef).binding === "string";

/** Replaces each `{ binding: "NAME" }` with `env.NAME`, naming the option when the binding is missing. */
function resolveRefs(options: Record<string, unknown>, env: Record<string, unknown>): KVCacheHandlerOptions {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (!isBindingRef(value)) {
      out[name] = value;
      continue;
    }
    if (env[value.binding] === undefined) {
      throw new EdgeIsrCacheError(
        "ERR_OPTION_INVALID",
        `vinext data cache option ${name} names the binding ${value.binding}, which the Worker's env does not have; add it to wrangler.jsonc`,
      );
    }
    out[name] = env[value.binding];
  }
  return out as KVCacheHandlerOptions;
}

/** The options without binding references: what can be checked before the Worker runs. */
function withoutRefs(options: Record<string, unknown>): KVCacheHandlerOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => !isBindingRef(value))) as KVCacheHandlerOptions;
}

function isKV(value: unknown): value is KVNamespaceLike {
  return typeof value === "object" && value !== null && typeof (value as KVNamespaceLike).getWithMetadata === "function";
}

function isJson(value: unknown): boolean {
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) return typeof value !== "number" || Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJson);
  if (typeof value === "object") return Object.values(value as object).every((v) => v === undefined || isJson(v));
  return false;
}

/** Stands in for the binding while options are checked in vite.config; never called. */
const CONFIG_TIME_KV: KVNamespaceLike = {
  getWithMetadata: () => Promise.reject(new Error("config-time stand-in")),
  put: () => Promise.reject(new Error("config-time stand-in")),
  delete: () => Promise.reject(new Error("config-time stand-in")),
  list: () => Promise.reject(new Error("config-time stand-in")),
};
