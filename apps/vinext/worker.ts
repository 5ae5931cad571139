/**
 * The vinext app's Worker entry: vinext's own fetch handler, plus the
 * coordinator Durable Object of @edge-isr/kv-cache-handler (the production
 * setup: invalidations serialized there, the tag clock published to KV).
 */
export { default } from "vinext/server/fetch-handler";
export { EdgeIsrCoordinator } from "@edge-isr/kv-cache-handler";
