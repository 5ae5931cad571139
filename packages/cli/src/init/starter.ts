/**
 * What `edge-isr init` writes into a project: the names it binds, and the
 * starter Worker for a project that has none. The starter's route is tagged
 * and lists its pages, so `npm run build` prerenders them and
 * `edge-isr purge --tag products` has something to show at once.
 */

/** The names `init` adds to the wrangler config; the runtime and the CLI default to the same. */
export const InitNames = {
  cacheBinding: "CACHE",
  /** The coordinator Durable Object (`@edge-isr/kv-cache-handler`): it serializes tag invalidations. */
  coordinatorBinding: "EDGE_ISR_COORDINATOR",
  coordinatorClass: "EdgeIsrCoordinator",
  coordinatorMigration: "edge-isr-v1",
  starterPath: "worker/index.ts",
  /** The static assets' binding the starter falls back to, when the config names none. */
  assetsBinding: "ASSETS",
  /** The starter's route, and the pattern that sends it to the Worker before a single-page app's fallback. */
  starterRoute: "/products/:id",
  starterAssetsPattern: "/products/*",
  prerender: "edge-isr prerender",
} as const;

/** The line a Worker's main module needs so wrangler finds the coordinator's class. */
export const coordinatorExport = `export { ${InitNames.coordinatorClass} } from "@edge-isr/kv-cache-handler";`;

/** The starter Worker: one tagged, prerendered route; anything else goes to the static assets when there are any. */
export function starterWorker(opts: { assetsBinding: string | undefined; coordinator: boolean }): string {
  const env = [
    `  ${InitNames.cacheBinding}: KVNamespaceLike;`,
    ...(opts.coordinator ? [`  ${InitNames.coordinatorBinding}: DurableObjectNamespaceLike;`] : []),
    ...(opts.assetsBinding ? [`  ${opts.assetsBinding}: { fetch(request: Request): Promise<Response> };`] : []),
  ];
  const handlerOptions = opts.coordinator
    ? `, { coordinator: env.${InitNames.coordinatorBinding}, binding: "${InitNames.cacheBinding}" }`
    : "";
  return `/**
 * Pages served from Workers KV with incremental static regeneration (edge-isr).
 * \`npm run build\` renders every page the routes list into KV (\`edge-isr prerender\`);
 * \`vite preview\` then serves them as HITs, and \`npx edge-isr purge --tag products\`
 * marks them stale: the next visit is served at once while a fresh copy renders.
 */
import { ${opts.coordinator ? "type DurableObjectNamespaceLike, " : ""}KVCacheHandler, type KVNamespaceLike } from "@edge-isr/kv-cache-handler";
import { createISR, setCacheHandler, type WaitUntil } from "@edge-isr/runtime";
${opts.coordinator ? `\n${coordinatorExport}\n` : ""}
interface Env {
${env.join("\n")}
}

const isr = createISR<Env>({
  routes: [
    {
      path: "${InitNames.starterRoute}",
      revalidate: 60,
      tags: ({ id }) => ["products", \`product:\${id}\`],
      staticParams: () => [{ id: "1" }, { id: "2" }, { id: "3" }],
    },
  ],
  render: async (_request, { params }) =>
    new Response(\`<!doctype html><title>Product \${params.id}</title><h1>Product \${params.id}</h1><p>Rendered \${new Date().toISOString()}</p>\`, {
      headers: { "content-type": "text/html; charset=utf-8" },
    }),${opts.assetsBinding ? `\n  fallback: (request, env) => env.${opts.assetsBinding}.fetch(request),` : ""}
});

let cache: KVCacheHandler | undefined; // one per isolate: it keeps decoded pages and invalidations
export default {
  fetch(request: Request, env: Env, ctx: WaitUntil): Promise<Response> {
    setCacheHandler((cache ??= new KVCacheHandler(env.${InitNames.cacheBinding}${handlerOptions})));
    return isr.fetch(request, env, ctx);
  },
};
`;
}
