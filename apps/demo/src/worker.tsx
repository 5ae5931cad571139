/** The demo Worker: the shop of `shop.ts`, as deployed. */
import { type Env, createShop } from "./shop";

// The Durable Object that serializes invalidations and publishes the tag clock (wrangler.toml binds it).
export { EdgeIsrCoordinator } from "@edge-isr/kv-cache-handler";

const shop = createShop();

export default { fetch: shop.fetch } satisfies ExportedHandler<Env>;
