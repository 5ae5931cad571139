/** The demo Worker: the shop of `shop.ts`, as deployed. */
import { type Env, createShop } from "./shop";

const shop = createShop();

export default { fetch: shop.fetch } satisfies ExportedHandler<Env>;
