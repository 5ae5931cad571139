// The handler as it was before the tag clock, copied from git by run.mjs into
// results/before/ (gitignored) and aliased as "edge-isr-before" when bundling.
declare module "edge-isr-before" {
  export { KVCacheHandler } from "@edge-isr/kv-cache-handler";
}
