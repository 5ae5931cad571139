/** Step 3 of a request, read: the stored copy of a page, if any. */
import { type CacheHandler, quoteKey } from "@edge-isr/kv-cache-handler";
import { EdgeIsrRuntimeError } from "./errors.js";
import { type CachedPage, readPage } from "./page.js";
import type { Pipeline } from "./pipeline.js";
import type { Timing } from "./timing.js";
import { withTimeout } from "./timeout.js";

/**
 * Reads the page stored under `key`, within `cacheTimeoutMs`. A failed or slow
 * read is reported and answered `null`: the page is rendered instead, never a 5xx.
 */
export async function readCached<Env>(p: Pipeline<Env>, cache: CacheHandler, key: string, timing: Timing): Promise<CachedPage | null> {
  try {
    return await timing.measure("kv", () =>
      withTimeout(readPage(cache, key, { kind: "APP_PAGE" }), p.cacheTimeoutMs, () => {
        return new EdgeIsrRuntimeError("ERR_CACHE_READ", `reading ${quoteKey(key)} took longer than ${p.cacheTimeoutMs} ms`);
      }),
    );
  } catch (error) {
    const message = `reading ${quoteKey(key)} failed; rendering instead: ${String(error)}`;
    p.report(error instanceof EdgeIsrRuntimeError ? error : new EdgeIsrRuntimeError("ERR_CACHE_READ", message, { cause: error }));
    return null;
  }
}
