/**
 * The soak's Worker: the BUILT demo (results/demo/dist/edge_isr_demo/index.js,
 * bundled in as "soak:demo") behind a thin wrapper that counts KV operations
 * with test/helpers/counting-kv.ts, and answers GET /__soak/stats.
 *
 * - CACHE: every request gets its own countingKV, found through
 *   AsyncLocalStorage, so the reads and writes a request causes — including
 *   the regeneration it starts in `ctx.waitUntil` — are added to the tally of
 *   its `x-edge-isr-cache` state (or of the revalidate endpoint) once all its
 *   background work settled. The demo builds its KVCacheHandler once, from the
 *   first env's CACHE, hence one routing binding rather than one per request.
 * - DB: one countingKV per page path, handed in through that path's env. A render
 *   reads the products it shows from DB (and a background regeneration gets the
 *   env of the request that started it), so DB reads per path count renders.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import demo from "soak:demo";
import { countingKV, type CountingKV, type KVCounts } from "../../test/helpers/counting-kv.js";

// The demo's coordinator Durable Object, bound by bench.ts as the demo's wrangler.toml binds it.
export { EdgeIsrCoordinator } from "@edge-isr/kv-cache-handler";

interface Env {
  CACHE: KVNamespace;
  DB: KVNamespace;
  [name: string]: unknown;
}

export interface Tally extends KVCounts {
  requests: number;
  /** Requests that made no CACHE read (the handler served its own not-yet-landed write). */
  unread: number;
  statuses: Record<string, number>;
}
export interface SoakStats {
  /** By `x-edge-isr-cache` of the response; "revalidate" for POST /_isr/revalidate, "none" without the header. */
  byState: Record<string, Tally>;
  /** CACHE operations made outside any request (should stay zero). */
  outside: KVCounts;
  /** DB key reads by page path. */
  dbReads: Record<string, number>;
  /** Requests whose response or background work has not settled yet. */
  pending: number;
  /** Requests where the demo's fetch threw. */
  thrown: number;
}

const current = new AsyncLocalStorage<CountingKV<KVNamespace>>();
const stats: SoakStats = { byState: {}, outside: { reads: 0, writes: 0, deletes: 0, lists: 0 }, dbReads: {}, pending: 0, thrown: 0 };
let cache: { kv: KVNamespace; outside: CountingKV<KVNamespace> } | undefined;
const db = new Map<string, CountingKV<KVNamespace>>();
const envs = new Map<string, Env>();

/** A CACHE binding that sends each call to the counter of the request it belongs to. */
function routingCache(real: KVNamespace) {
  const outside = countingKV(real);
  const pick = () => (current.getStore() ?? outside).kv as unknown as Record<string, (...args: unknown[]) => unknown>;
  const kv = Object.fromEntries(
    ["get", "getWithMetadata", "put", "delete", "list"].map((op) => [op, (...args: unknown[]) => pick()[op]!(...args)]),
  );
  return { kv: kv as unknown as KVNamespace, outside };
}

function envFor(env: Env, path: string): Env {
  cache ??= routingCache(env.CACHE);
  let found = envs.get(path);
  if (!found) {
    const counter = countingKV(env.DB);
    db.set(path, counter);
    found = { ...env, CACHE: cache.kv, DB: counter.kv };
    envs.set(path, found);
  }
  return found;
}

function add(state: string, counts: KVCounts, status: number) {
  const tally = (stats.byState[state] ??= { requests: 0, unread: 0, reads: 0, writes: 0, deletes: 0, lists: 0, statuses: {} });
  tally.requests++;
  if (counts.reads === 0) tally.unread++;
  tally.statuses[status] = (tally.statuses[status] ?? 0) + 1;
  for (const op of ["reads", "writes", "deletes", "lists"] as const) tally[op] += counts[op];
}

/** Waits for every promise handed to waitUntil, including ones handed over while waiting. */
async function settle(tracked: Promise<unknown>[]) {
  for (let seen = -1; seen !== tracked.length; ) {
    seen = tracked.length;
    await Promise.allSettled(tracked);
  }
}

function snapshot(): SoakStats {
  for (const [path, counter] of db) stats.dbReads[path] = counter.counts.reads;
  if (cache) stats.outside = { ...cache.outside.counts };
  return stats;
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/__soak/stats") return Response.json(snapshot());

    const counter = countingKV(env.CACHE);
    const tracked: Promise<unknown>[] = [];
    const innerCtx = {
      waitUntil(promise: Promise<unknown>) {
        tracked.push(promise);
        ctx.waitUntil(promise);
      },
      passThroughOnException: () => ctx.passThroughOnException(),
      props: ctx.props,
    } as ExecutionContext;
    stats.pending++;
    let response: Response;
    try {
      response = await current.run(counter, () => demo.fetch(request, envFor(env, url.pathname), innerCtx));
    } catch (error) {
      stats.pending--;
      stats.thrown++;
      throw error;
    }
    const state = url.pathname === "/_isr/revalidate" ? "revalidate" : (response.headers.get("x-edge-isr-cache") ?? "none");
    ctx.waitUntil(
      settle(tracked).then(() => {
        add(state, counter.counts, response.status);
        stats.pending--;
      }),
    );
    return response;
  },
} satisfies ExportedHandler<Env>;
