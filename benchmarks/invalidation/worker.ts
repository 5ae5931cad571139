/**
 * The invalidation benchmark's Worker, in workerd (Miniflare) with real KV,
 * the coordinator Durable Object and the Cache API. The Node driver (bench.ts)
 * calls it; each call is one invocation and answers what it cost, counted by
 * test/helpers/counting-kv.ts around the real binding (production's limits
 * off here: the point is to count how far past them the sweep goes).
 *
 *   POST /seed        {prefix, from, to}            store entries [from, to) (tags by index, below)
 *   POST /invalidate  {impl, prefix, tag}           one invalidation: KV operations, ms
 *   POST /hits        {impl, prefix, mode, n}        billed reads per hit: busy / fresh / cold isolate
 */
import { KVCacheHandler, type KVCacheHandlerOptions } from "../../packages/kv-cache-handler/src/index.js";
import { KVCacheHandler as BeforeHandler } from "edge-isr-before";
import { KVCacheHandler as VinextHandler } from "@vinext/cloudflare/cache/kv-data-adapter.runtime";
import { countingKV } from "../../test/helpers/counting-kv.js";
import { coordinatorName } from "../../packages/kv-cache-handler/src/coordinator/protocol.js";

export { EdgeIsrCoordinator } from "../../packages/kv-cache-handler/src/index.js";

interface Env {
  CACHE: KVNamespace;
  EDGE_ISR_COORDINATOR: DurableObjectNamespace;
}

export type Impl = "sweep (before)" | "tag clock, KV only" | "tag clock, coordinator" | "vinext";

/** Disjoint groups by index: 1 entry, then up to 1,000, then up to 10,000. */
export function groupOf(i: number): string {
  if (i === 0) return "g1";
  if (i <= 1000) return "g1k";
  if (i <= 11_000) return "g10k";
  return "rest";
}
const page = (i: number) => ({
  kind: "APP_PAGE" as const,
  html: `<p>item ${i}</p>`,
  rscData: undefined,
  headers: {},
  postponed: undefined,
  status: 200,
});
const quiet = { warn() {}, error() {} };

function handler(impl: Impl, kv: KVNamespace, env: Env, prefix: string, extra: KVCacheHandlerOptions = {}) {
  if (impl === "sweep (before)") return new BeforeHandler(kv, { prefix, logger: quiet });
  if (impl === "vinext") return new VinextHandler(kv as never, { appPrefix: prefix.replace(/\W/g, "") }) as unknown as KVCacheHandler;
  const coordinator = impl === "tag clock, coordinator" ? { coordinator: env.EDGE_ISR_COORDINATOR, binding: "CACHE" } : {};
  return new KVCacheHandler(kv, { prefix, logger: quiet, ...coordinator, ...extra });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const body = (await request.json()) as Record<string, unknown>;
    const prefix = String(body.prefix);
    const impl = body.impl as Impl;

    if (url.pathname === "/seed") {
      const writer = new KVCacheHandler(env.CACHE, { prefix, logger: quiet });
      const from = Number(body.from);
      const to = Number(body.to);
      for (let i = from; i < to; i += 250) {
        await Promise.all(
          Array.from({ length: Math.min(250, to - i) }, (_, j) => i + j).map((k) =>
            writer.set(`b1:/items/${k}`, page(k), { cacheControl: { revalidate: false }, tags: [groupOf(k), `item:${k % 97}`] }),
          ),
        );
      }
      return Response.json({ stored: to - from });
    }

    if (url.pathname === "/invalidate") {
      const counting = countingKV(env.CACHE, { operationsPerInvocation: false, writeIntervalMs: false });
      const h = handler(impl, counting.kv, env, prefix);
      const started = Date.now(); // workerd's clock moves with I/O: this measures the KV work
      const { invocation } = await counting.run(() => h.revalidateTag(String(body.tag), {}) as Promise<unknown>);
      return Response.json({ ms: Date.now() - started, operations: invocation.operations, ...counting.counts });
    }

    if (url.pathname === "/hits") {
      const counting = countingKV(env.CACHE, { operationsPerInvocation: false, writeIntervalMs: false });
      const n = Number(body.n);
      const mode = String(body.mode);
      let clock = Date.now();
      const now = () => clock;
      const realNow = Date.now;
      if (impl === "vinext") Date.now = now; // vinext reads the clock from Date.now; restored below
      const key = "b1:/items/1";
      const setup = handler(impl, env.CACHE, env, prefix, { now });
      await setup.set(key, page(1), { cacheControl: { revalidate: 3600 }, tags: ["g1k", "item:1", "category:shoes"] });
      await setup.revalidateTag("unrelated", {}); // a coordinator has published its clock once
      const colo = `https://edge-isr.internal/${env.EDGE_ISR_COORDINATOR.idFromName(coordinatorName("CACHE", prefix)).toString()}/clock`;
      let busy = handler(impl, counting.kv, env, prefix, { now });
      await busy.get(key); // warm
      counting.reset();
      let served = 0;
      for (let i = 0; i < n; i++) {
        clock += 10; // 100 hits/s
        if (mode === "cold") await (await caches.open("edge-isr")).delete(colo);
        const h = mode === "busy" ? busy : handler(impl, counting.kv, env, prefix, { now });
        if ((await h.get(key)) !== null) served++;
      }
      // Background refreshes of a busy isolate run after the hits; let them land to count them.
      await new Promise((r) => setTimeout(r, 50));
      busy = undefined as never;
      Date.now = realNow;
      return Response.json({
        served,
        reads: counting.counts.reads,
        operations: counting.ambient.operations,
        writes: counting.counts.writes,
      });
    }
    return new Response("not found", { status: 404 });
  },
};
