// Bindings from wrangler.toml, as the Workers Vitest integration provides them.
declare namespace Cloudflare {
  interface Env {
    CACHE: KVNamespace;
    /** Only in the workerd-demo project (the demo's products). */
    DB: KVNamespace;
  }
}
