/**
 * The Worker the workerd test projects run in (root wrangler.toml's `main`):
 * it exports the coordinator Durable Object so suites can bind it, as a user's
 * Worker does.
 */
export { EdgeIsrCoordinator } from "../packages/kv-cache-handler/src/index.js";

export default {
  fetch: () => new Response("edge-isr test worker"),
};
