/**
 * The regenerate step: a stale page is rendered again in the background while
 * its stale copy is served. A failed regeneration never loses the stale copy:
 * it is kept and retried after a backoff (3 s doubling to 30 s, as Next.js does).
 */
import { type CacheHandler, quoteKey } from "@edge-isr/kv-cache-handler";
import { responseBypassReason } from "./cacheability.js";
import { EdgeIsrRuntimeError } from "./errors.js";
import { Lease } from "./lease.js";
import type { Matched } from "./match.js";
import type { WaitUntil } from "./options.js";
import type { CachedPage } from "./page.js";
import type { Pipeline } from "./pipeline.js";
import { render } from "./render.js";
import { cacheControlFor, storePage } from "./store.js";
import { withTimeout } from "./timeout.js";

/** Background regeneration of a stale page: one per isolate, and one across isolates with a coordinator or lease. */
export function regenerate<Env>(
  p: Pipeline<Env>,
  handler: CacheHandler,
  key: string,
  stale: CachedPage,
  m: Matched<Env>,
  request: Request,
  env: Env,
  ctx: WaitUntil,
): Promise<void> {
  return p.regenerations.run(key, async () => {
    if (!(await mayRegenerate(p, handler, key, stale, m, env))) return;
    p.stats.regenerations++;
    const started = p.now();
    try {
      const response = await render(p, m, request, env, ctx, "regenerate");
      const reason = responseBypassReason(response, p.cacheableStatus);
      if (reason) {
        const message = `regenerating ${quoteKey(key)} gave a response that cannot be stored (${reason})`;
        throw new EdgeIsrRuntimeError("ERR_RENDER_FAILED", message);
      }
      const body = new Uint8Array(await response.arrayBuffer());
      const rendered = { status: response.status, headers: response.headers, body, generatedAt: started };
      const { landed } = await storePage(p, handler, key, m, rendered);
      await landed; // one regeneration per key at a time, write included
    } catch (error) {
      p.stats.failures++;
      await keepStale(p, handler, key, stale, m, error);
    }
  });
}

/** A handler whose coordinator grants regeneration leases (KVCacheHandler with `coordinator`). */
const hasRegenerationLease = (
  handler: CacheHandler,
): handler is CacheHandler & { regenerationLease(key: string, lastModified: number, seconds: number): Promise<boolean | undefined> } =>
  typeof (handler as { regenerationLease?: unknown }).regenerationLease === "function";

/**
 * Whether this isolate regenerates a stale page: the coordinator's lease when
 * the handler has one (one render across isolates), else the opt-in KV lease,
 * else yes (one render per isolate). A lease that cannot be asked for is
 * skipped: a stale page must not stay stale because the coordinator or KV hiccuped.
 */
async function mayRegenerate<Env>(
  p: Pipeline<Env>,
  handler: CacheHandler,
  key: string,
  stale: CachedPage,
  m: Matched<Env>,
  env: Env,
): Promise<boolean> {
  if (hasRegenerationLease(handler)) {
    // Held until the new copy is stored, or for as long as a render and its write may take.
    const seconds = Math.ceil((p.renderTimeoutMs + p.cacheTimeoutMs) / 1000);
    const late = () => new Error("late");
    const granted = await withTimeout(handler.regenerationLease(key, stale.lastModified, seconds), p.cacheTimeoutMs, late).catch(
      () => undefined,
    );
    if (granted !== undefined) return granted;
  }
  return leaseTaken(p, key, m, env);
}

/**
 * With the opt-in `lease`: whether this isolate may regenerate `key` now (another
 * holds the lease: no). A lease that fails or is slow is reported and the
 * regeneration runs without it.
 */
async function leaseTaken<Env>(p: Pipeline<Env>, key: string, m: Matched<Env>, env: Env): Promise<boolean> {
  const options = p.options.lease;
  if (!options) return true;
  const seconds = typeof m.route.revalidate === "number" ? Math.max(1, m.route.revalidate) : 30;
  try {
    const lease = new Lease(options.kv(env), options.seconds ?? 30, p.now);
    const slow = () => new Error(`the lease took longer than ${p.cacheTimeoutMs} ms`);
    return await withTimeout(lease.acquire(key, seconds), p.cacheTimeoutMs, slow);
  } catch (cause) {
    const message = `lease for ${quoteKey(key)} failed; regenerating without it: ${String(cause)}`;
    p.report(new EdgeIsrRuntimeError("ERR_LEASE", message, { cause }));
    return true;
  }
}

/** After a failed regeneration: keep serving the stale copy, retry after a backoff. */
async function keepStale<Env>(
  p: Pipeline<Env>,
  handler: CacheHandler,
  key: string,
  stale: CachedPage,
  m: Matched<Env>,
  error: unknown,
): Promise<void> {
  const failures = (stale.meta.failures ?? 0) + 1;
  const retryIn = Math.min(p.backoff.max, p.backoff.min * 2 ** (failures - 1));
  const message = `regenerating ${quoteKey(key)} failed (${failures} in a row); serving the stale copy, retrying in ${retryIn} s`;
  p.report(
    error instanceof EdgeIsrRuntimeError && error.code !== "ERR_RENDER_FAILED"
      ? error
      : new EdgeIsrRuntimeError("ERR_RENDER_FAILED", `${message}: ${String((error as Error)?.message ?? error)}`, { cause: error }),
  );
  const expire = cacheControlFor(p, m.route, stale.status).expire; // a 404 keeps its short life
  const lived = (p.now() - stale.meta.generatedAt) / 1000;
  if (expire !== undefined && lived >= expire) return; // past expire: let it go rather than extend its life
  try {
    const value = { ...(await stale.value()), edgeIsr: { ...stale.meta, failures } } as Parameters<CacheHandler["set"]>[1];
    // The retry comes after the backoff; the entry still expires when it would have.
    const cacheControl =
      expire === undefined ? { revalidate: retryIn } : { revalidate: retryIn, expire: Math.max(retryIn, Math.ceil(expire - lived)) };
    await handler.set(key, value, { cacheControl, tags: stale.tags });
  } catch (cause) {
    const message = `re-storing the stale copy of ${quoteKey(key)} failed: ${String(cause)}`;
    p.report(new EdgeIsrRuntimeError("ERR_CACHE_WRITE", message, { cause }));
  }
}
