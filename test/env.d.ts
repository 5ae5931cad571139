// Bindings from wrangler.toml, as the Workers Vitest integration provides them.
declare namespace Cloudflare {
  interface Env {
    CACHE: KVNamespace;
    /** The tag-clock coordinator (EdgeIsrCoordinator, exported by test/worker.ts). */
    EDGE_ISR_COORDINATOR: DurableObjectNamespace;
    /** Only in the workerd-demo project (the demo's products). */
    DB: KVNamespace;
  }
}
