/**
 * `cached(fn, keyParts, { revalidate, tags })`, like Next's `unstable_cache`:
 * results are stored as `FETCH` entries through the same handler as pages, so
 * one `revalidateTag` refreshes data and the pages built from it. A stale
 * result is returned at once and refreshed in the background (once per isolate).
 */
import type { CacheHandler } from "@edge-isr/kv-cache-handler";
import { defer } from "./background.js";
import { getCacheHandler } from "./registry.js";
import { SingleFlight } from "./single-flight.js";

export interface CachedOptions {
  /** Seconds a result stays fresh; `false` (default): until its tags are revalidated. */
  revalidate?: number | false;
  tags?: readonly string[];
  /** Default: the handler set with `setCacheHandler`. */
  handler?: CacheHandler;
  onError?: (error: unknown) => void;
}

/**
 * Wraps `fn` so its results are cached by `keyParts` and the call's arguments
 * (which must be JSON-serializable, like the result).
 * @example const getProduct = cached((id: string) => db.product(id), ["product"], { tags: ["products"], revalidate: 60 });
 */
export function cached<Args extends unknown[], T>(
  fn: (...args: Args) => T | Promise<T>,
  keyParts: readonly string[],
  options: CachedOptions = {},
): (...args: Args) => Promise<T> {
  const flights = new SingleFlight<T>(30_000);
  const landing = new Map<string, T>();
  const tags = [...(options.tags ?? [])];
  const report = options.onError ?? ((error: unknown) => console.error(`[edge-isr] data cache: ${String(error)}`));

  return async (...args: Args): Promise<T> => {
    const handler = options.handler ?? getCacheHandler();
    const key = `data:${JSON.stringify([keyParts, args])}`;
    const refresh = () =>
      flights.run(key, async () => {
        const value = await fn(...args);
        const entry = {
          kind: "FETCH" as const,
          data: { headers: {}, body: JSON.stringify({ v: value }), url: key, status: 200 },
          tags,
          revalidate: options.revalidate ?? false,
        };
        // Stored in the background: the caller has its value without waiting for
        // KV's write, and later calls in this isolate get it until the write lands.
        landing.set(key, value);
        defer(
          Promise.resolve()
            .then(() => handler.set(key, entry, { tags }))
            .catch(report)
            .finally(() => landing.delete(key)),
        );
        return value;
      });

    if (landing.has(key)) return landing.get(key) as T;
    let hit: Awaited<ReturnType<CacheHandler["get"]>> = null;
    try {
      hit = await handler.get(key, {
        kind: "FETCH",
        tags,
        ...(typeof options.revalidate === "number" ? { revalidate: options.revalidate } : {}),
      });
    } catch (error) {
      report(error);
    }
    if (hit?.value?.kind === "FETCH") {
      try {
        const { v } = JSON.parse(hit.value.data.body) as { v: T };
        if (hit.cacheState === "stale") defer(refresh().catch(report));
        return v;
      } catch (error) {
        report(error); // unreadable: compute afresh
      }
    }
    return refresh();
  };
}
