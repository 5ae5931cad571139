// Bindings from wrangler.toml, as the Workers Vitest integration provides them.
declare namespace Cloudflare {
  interface Env {
    CACHE: KVNamespace;
  }
}
